/**
 * node-agent figures against real PostgreSQL 15 and a real nats-server: bootstrap request → writable
 * primary, clone request → streaming replica, and status publication latency (a PostgreSQL change →
 * the member key in KV).
 *
 *   npm run bench:node-agent            (RUNS=50 status samples by default)
 */
import { mkdtemp, chown, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { MemberAgent } from '../apps/node-agent/src/agent/member-agent.ts';
import { agentSubjectPrefix } from '../apps/node-agent/src/agent/command-responder.ts';
import { ClusterKeys, ClusterStore, LeaderLease, memberKey } from '../libs/dcs/src/index.ts';
import {
  ensureUnprivilegedUser,
  freePort,
  killProcessesUnder,
  NatsServerProcess,
  postgresBinDir,
  waitUntil,
} from '../libs/harness/src/index.ts';
import type { MemberConfig } from '../libs/member-config/src/index.ts';
import { CommandReplySchema, decodeWire, DynamicConfigSchema } from '../libs/proto/src/index.ts';
import { formatMs, summarize } from './percentiles.ts';

const RUNS = Number(process.env.RUNS ?? 50);
const SCOPE = 'bench';
const SUPERUSER = { username: 'postgres', password: 'bench' };

async function memberConfig(name: string, baseDir: string): Promise<MemberConfig> {
  const port = await freePort();
  const osUser = await ensureUnprivilegedUser();
  return {
    namespace: 'natroni',
    scope: SCOPE,
    name,
    nats: { servers: [], kv_replicas: 1 },
    restapi: { listen: '127.0.0.1:0', connect_address: '127.0.0.1:8008' },
    postgresql: {
      listen: `127.0.0.1:${port}`,
      connect_address: `127.0.0.1:${port}`,
      data_dir: join(baseDir, `${name}-data`),
      bin_dir: postgresBinDir(),
      authentication: {
        superuser: SUPERUSER,
        replication: { username: 'replicator', password: 'r' },
      },
      parameters: {},
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
    },
    bootstrap: {
      dcs: {},
      method: 'initdb',
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
      timeout: 120,
    },
    tags: {},
  };
}

async function main(): Promise<void> {
  const nats = await NatsServerProcess.start();
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-bench-agent-'));
  const osUser = await ensureUnprivilegedUser();
  await chown(baseDir, osUser.uid, osUser.gid);
  const nc = await connect({ servers: nats.url });
  const agents: MemberAgent[] = [];
  try {
    const store = await ClusterStore.open(nc, { namespace: 'natroni', scope: SCOPE });
    await store.put(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 30 }));
    const lease = new LeaderLease(store, { member: 'pg1', ttlMs: 30_000 });
    await lease.start();
    const held = await lease.attempt();
    if (!held.acquired) throw new Error('could not acquire the lease');
    const renewals = setInterval(() => void lease.renew(), 5_000);
    const primaryConfig = await memberConfig('pg1', baseDir);
    const replicaConfig = await memberConfig('pg2', baseDir);
    for (const config of [primaryConfig, replicaConfig]) {
      await chown(join(baseDir), osUser.uid, osUser.gid);
      agents.push(await MemberAgent.start(nc, config));
    }
    const request = async (member: string, verb: string, body: unknown) => {
      const reply = await nc.request(
        `${agentSubjectPrefix('natroni', SCOPE, member)}.${verb}`,
        JSON.stringify(body),
        { timeout: 120_000 },
      );
      const decoded = decodeWire(CommandReplySchema, reply.data);
      if (!decoded.ok) throw new Error(`${verb} failed: ${decoded.message}`);
    };
    const primaryPool = new pg.Pool({
      host: '127.0.0.1',
      port: Number(primaryConfig.postgresql.listen.split(':')[1]),
      user: 'postgres',
      password: SUPERUSER.password,
      database: 'postgres',
      max: 1,
    });

    let started = performance.now();
    await request('pg1', 'bootstrap', { term: held.term });
    await primaryPool.query('CREATE TABLE t (id int)');
    console.log(
      `bootstrap request → writable primary: ${(performance.now() - started).toFixed(0)} ms`,
    );

    started = performance.now();
    await request('pg2', 'clone', { source_member: 'pg1' });
    await waitUntil(
      async () =>
        (await store.get(memberKey('pg2')))?.value.replicationState === 'streaming'
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 10, what: 'pg2 streaming' },
    );
    console.log(
      `clone request → streaming replica: ${(performance.now() - started).toFixed(0)} ms`,
    );

    const latencies: number[] = [];
    const watch = await store.watch(memberKey('pg1'));
    let waiting: { lsn: number; resolve: () => void } | undefined;
    void (async () => {
      for await (const entry of watch) {
        const location =
          entry.operation === 'PUT'
            ? ((JSON.parse(entry.string()) as { xlog_location?: number }).xlog_location ?? 0)
            : 0;
        if (waiting && location >= waiting.lsn) waiting.resolve();
      }
    })();
    for (let run = 0; run < RUNS; run += 1) {
      const { rows } = await primaryPool.query<{ lsn: string }>(
        'INSERT INTO t VALUES (1) RETURNING pg_current_wal_insert_lsn()::text AS lsn',
      );
      const [high, low] = rows[0].lsn.split('/').map((half) => parseInt(half, 16));
      const changed = performance.now();
      await new Promise<void>((resolve) => {
        waiting = { lsn: high * 2 ** 32 + low, resolve };
      });
      latencies.push(performance.now() - changed);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
    }
    watch.stop();
    console.log(
      `status publication latency (write → members.pg1 in KV): ${formatMs(summarize(latencies))}`,
    );
    clearInterval(renewals);
    lease.stop();
    await primaryPool.end();
  } finally {
    for (const agent of agents.reverse()) await agent.stop().catch(() => undefined);
    await nc.close();
    await killProcessesUnder(baseDir, ['postgres']);
    await rm(baseDir, { recursive: true, force: true });
    await nats.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
