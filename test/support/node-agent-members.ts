import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import {
  MemberAgent,
  type MemberAgentOptions,
} from '../../apps/node-agent/src/agent/member-agent.ts';
import { agentSubjectPrefix } from '../../apps/node-agent/src/agent/command-responder.ts';
import { ClusterKeys, ClusterStore, LeaderLease, memberKey } from '../../libs/dcs/src/index.ts';
import {
  ensureUnprivilegedUser,
  findProcessesUnder,
  freePort,
  killProcessesUnder,
  postgresBinDir,
  waitUntil,
} from '../../libs/harness/src/index.ts';
import type { MemberConfig } from '../../libs/member-config/src/index.ts';
import {
  CommandReplySchema,
  decodeWire,
  DynamicConfigSchema,
  type CommandReply,
  type MemberStatus,
} from '../../libs/proto/src/index.ts';
import { connectClient } from './nats-clients.ts';

export const NAMESPACE = 'natroni';
export const SUPERUSER = { username: 'postgres', password: 'super-secret' };
export const REPLICATION = { username: 'replicator', password: 'repl-secret' };

export interface TestMember {
  readonly name: string;
  readonly config: MemberConfig;
  readonly baseDir: string;
  readonly port: number;
  agent: MemberAgent | undefined;
  connection: NatsConnection;
}

/** A member configuration for a test: PostgreSQL on a free loopback port, data in its own temp dir. */
export async function memberConfig(
  scope: string,
  name: string,
  overrides: Partial<MemberConfig['postgresql']> = {},
): Promise<{ config: MemberConfig; baseDir: string; port: number }> {
  const osUser = await ensureUnprivilegedUser();
  const baseDir = await mkdtemp(join(tmpdir(), `natroni-agent-${name}-`));
  await chown(baseDir, osUser.uid, osUser.gid);
  const port = await freePort();
  const config: MemberConfig = {
    namespace: NAMESPACE,
    scope,
    name,
    nats: { servers: [], kv_replicas: 1 },
    restapi: { listen: '127.0.0.1:0', connect_address: `127.0.0.1:${8000 + (port % 1000)}` },
    postgresql: {
      listen: `127.0.0.1:${port}`,
      connect_address: `127.0.0.1:${port}`,
      data_dir: join(baseDir, 'data'),
      bin_dir: postgresBinDir(),
      authentication: { superuser: SUPERUSER, replication: REPLICATION },
      parameters: { fsync: 'off', synchronous_commit: 'off', shared_buffers: '16MB' },
      pg_hba: [
        'local all all trust',
        'host all all 127.0.0.1/32 scram-sha-256',
        'host replication replicator 127.0.0.1/32 scram-sha-256',
      ],
      use_pg_rewind: true,
      remove_data_directory_on_rewind_failure: false,
      remove_data_directory_on_diverged_timelines: false,
      create_replica_methods: [],
      replica_method_options: {},
      callbacks: {},
      callback_timeout: 5,
      os_user: osUser.name,
      ...overrides,
    },
    bootstrap: {
      dcs: {},
      method: 'initdb',
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'no-sync'],
      timeout: 120,
    },
    tags: {},
  };
  return { config, baseDir, port };
}

export async function startMember(
  natsUrl: string,
  scope: string,
  name: string,
  overrides: Partial<MemberConfig['postgresql']> = {},
  options: MemberAgentOptions = {},
): Promise<TestMember> {
  const { config, baseDir, port } = await memberConfig(scope, name, overrides);
  const connection = await connectClient(natsUrl, `${scope}-${name}-agent`);
  const agent = await MemberAgent.start(connection, config, options);
  return { name, config, baseDir, port, agent, connection };
}

export async function disposeMember(member: TestMember): Promise<void> {
  await member.agent?.stop().catch(() => undefined);
  member.agent = undefined;
  await member.connection.close().catch(() => undefined);
  if (findProcessesUnder(member.baseDir, ['postgres']).length > 0) {
    await killProcessesUnder(member.baseDir, ['postgres']);
  }
  await rm(member.baseDir, { recursive: true, force: true });
}

/** Sends one command to a member's agent and decodes its CommandReply. */
export async function command(
  nc: NatsConnection,
  scope: string,
  member: string,
  verb: string,
  payload: unknown = {},
  timeoutMs = 90_000,
): Promise<CommandReply> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const reply = await nc.request(`${agentSubjectPrefix(NAMESPACE, scope, member)}.${verb}`, body, {
    timeout: timeoutMs,
  });
  return decodeWire(CommandReplySchema, reply.data);
}

/** Runs one statement as the superuser on a fresh connection. */
export async function sql<Row extends pg.QueryResultRow = Record<string, unknown>>(
  port: number,
  text: string,
): Promise<Row[]> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER.username,
    password: SUPERUSER.password,
    database: 'postgres',
    connectionTimeoutMillis: 3_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<Row>(text)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function memberStatus(
  store: ClusterStore,
  member: string,
): Promise<MemberStatus | undefined> {
  return (await store.get(memberKey(member)))?.value;
}

/** Waits until the member's key in KV satisfies `accept`. */
export function waitForStatus(
  store: ClusterStore,
  member: string,
  accept: (status: MemberStatus) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<MemberStatus> {
  return waitUntil(
    async () => {
      const status = await memberStatus(store, member);
      return status && accept(status) ? status : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${member}'s status in KV to show ${what}` },
  );
}

/** The election's side of the lease, for tests: acquire the leader key and keep renewing it. */
export class TestLease {
  private renewing = false;
  private loop: Promise<void> | undefined;

  private constructor(
    readonly lease: LeaderLease,
    readonly term: number,
    private readonly everyMs: number,
  ) {}

  static async acquire(store: ClusterStore, member: string, ttlMs: number): Promise<TestLease> {
    await store.put(ClusterKeys.config, create(DynamicConfigSchema, { ttl: ttlMs / 1_000 }));
    const lease = new LeaderLease(store, { member, ttlMs });
    await lease.start();
    const result = await waitUntil(
      async () => {
        const attempt = await lease.attempt();
        return attempt.acquired ? attempt : undefined;
      },
      { timeoutMs: ttlMs * 3, intervalMs: 200, what: `${member} to acquire the lease` },
    );
    const held = new TestLease(lease, result.term, Math.max(200, ttlMs / 4));
    held.resume();
    return held;
  }

  resume(): void {
    if (this.renewing) return;
    this.renewing = true;
    this.loop = (async () => {
      while (this.renewing) {
        await this.lease.renew();
        await new Promise((resolve) => setTimeout(resolve, this.everyMs));
      }
    })();
  }

  async pause(): Promise<void> {
    this.renewing = false;
    await this.loop;
  }

  async stop(): Promise<void> {
    await this.pause();
    this.lease.stop();
  }
}

export async function openStore(nc: NatsConnection, scope: string): Promise<ClusterStore> {
  return ClusterStore.open(nc, { namespace: NAMESPACE, scope, requestTimeoutMs: 5_000 });
}
