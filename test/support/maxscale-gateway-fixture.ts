import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import { ApiGatewayModule } from '../../apps/api-gateway/src/api-gateway.module.ts';
import { configureGateway } from '../../apps/api-gateway/src/configure-gateway.ts';
import {
  DEFAULT_V1_SETTINGS,
  type V1Settings,
} from '../../apps/api-gateway/src/maxscale/v1-settings.ts';
import { ClusterKeys, ClusterStore, memberKey } from '../../libs/dcs/src/index.ts';
import { freePort, NatsServerProcess, waitUntil } from '../../libs/harness/src/index.ts';
import {
  DynamicConfigSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  type MemberStatus,
} from '../../libs/proto/src/index.ts';
import { connectClient, uniqueScope } from './nats-clients.ts';
import {
  AUTH,
  AUTH_HEADER,
  MEMBERS,
  primaryStatus,
  replicaStatus,
  SAMPLE_CONFIG,
} from './patroni-gateway-fixture.ts';

export { AUTH_HEADER };
export const READONLY = { username: 'reader', password: 'r3ad' };
export const READONLY_HEADER = `Basic ${Buffer.from('reader:r3ad').toString('base64')}`;

export interface V1Answer {
  status: number;
  text: string;
  headers: Headers;
  /** The parsed body, undefined when empty. */
  json: unknown;
}

/** One in-process gateway with the `/v1` API: its app, its member listeners and its own listener. */
export interface V1Gateway {
  readonly app: NestFastifyApplication;
  readonly memberPorts: Record<string, number>;
  readonly port: number;
}

/**
 * A gateway in-process on `natsUrl` for cluster `scope`, serving pg1..pg3 on member listeners (or the
 * members given) and its own listener, on free ports.
 */
export async function startV1Gateway(
  natsUrl: string,
  scope: string,
  options: { v1?: Partial<V1Settings>; auth?: boolean; members?: readonly string[] } = {},
): Promise<V1Gateway> {
  const memberPorts: Record<string, number> = {};
  for (const name of options.members ?? MEMBERS) memberPorts[name] = await freePort();
  const port = await freePort();
  let app: NestFastifyApplication | undefined;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      ApiGatewayModule.forRoot(
        {
          service: 'api-gateway',
          namespace: 'natroni',
          scope,
          nats: { servers: [natsUrl] },
          http: { host: '127.0.0.1', port },
        },
        {
          members: Object.entries(memberPorts).map(([name, memberPort]) => ({
            name,
            host: '127.0.0.1',
            port: memberPort,
          })),
          ...(options.auth === false ? {} : { auth: AUTH }),
          bodyLimitBytes: 64 * 1024,
          switchoverTimeoutMs: 5_000,
          workers: 1,
        },
        { ...DEFAULT_V1_SETTINGS, readOnly: READONLY, monitorIntervalMs: 500, ...options.v1 },
      ),
      new FastifyAdapter(),
      { logger: false, abortOnError: false },
    );
    await configureGateway(app, { swaggerUi: false });
    await app.listen(port, '127.0.0.1');
    return { app, memberPorts, port };
  } catch (error) {
    await app?.close().catch(() => undefined);
    throw error;
  }
}

/**
 * A gateway in-process on a real nats-server with the `/v1` API: pg1..pg3 on member listeners, the
 * cluster-wide listener on `port`. Member statuses are written into KV as the agents do and republished
 * every 500 ms.
 */
export class MaxscaleGatewayFixture {
  private readonly statuses = new Map<string, MemberStatus>();
  private refresher: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly nats: NatsServerProcess,
    readonly writer: NatsConnection,
    readonly store: ClusterStore,
    readonly scope: string,
    readonly memberPorts: Record<string, number>,
    readonly port: number,
    readonly app: NestFastifyApplication,
  ) {}

  static async start(
    options: { v1?: Partial<V1Settings>; auth?: boolean } = {},
  ): Promise<MaxscaleGatewayFixture> {
    const nats = await NatsServerProcess.start();
    const scope = uniqueScope('v1');
    const writer = await connectClient(nats.url, 'fixture-writer');
    const store = await ClusterStore.open(writer, { namespace: 'natroni', scope });
    let gateway: V1Gateway;
    try {
      gateway = await startV1Gateway(nats.url, scope, options);
    } catch (error) {
      await writer.close();
      await nats.dispose();
      throw error;
    }
    const { memberPorts, port, app } = gateway;
    const fixture = new MaxscaleGatewayFixture(nats, writer, store, scope, memberPorts, port, app);
    fixture.refresher = setInterval(() => void fixture.republish(), 500);
    return fixture;
  }

  async dispose(): Promise<void> {
    clearInterval(this.refresher);
    await this.app.close();
    await this.writer.close();
    await this.nats.dispose();
  }

  /** pg1 leads, pg2 and pg3 stream from it. */
  async standardCluster(): Promise<void> {
    const primary = primaryStatus('pg1', this.scope, this.memberPorts['pg1'] ?? 0);
    primary.replication = [
      ...(primary.replication ?? []),
      {
        usename: 'replicator',
        applicationName: 'pg3',
        clientAddr: '127.0.0.1',
        state: 'streaming',
        syncState: 'async',
      },
    ];
    primary.connections = {
      connections: 3,
      totalConnections: 40,
      activeOperations: 1,
      maxConnections: 5,
    };
    await this.setStatus(primary);
    await this.setStatus(replicaStatus('pg2', this.scope, this.memberPorts['pg2'] ?? 0));
    await this.setStatus(replicaStatus('pg3', this.scope, this.memberPorts['pg3'] ?? 0));
    await this.store.put(ClusterKeys.config, create(DynamicConfigSchema, SAMPLE_CONFIG));
    await this.setLeader('pg1', 1);
    await this.waitForState('pg1', 'Master, Running');
  }

  async setStatus(init: MessageInitShape<typeof MemberStatusSchema>): Promise<void> {
    const status = create(MemberStatusSchema, init);
    this.statuses.set(status.name, status);
    await this.store.put(memberKey(status.name), status);
  }

  async setLeader(member: string, term: number): Promise<void> {
    await this.store.put(ClusterKeys.leader, create(LeaseRecordSchema, { member, term, ttl: 30 }));
  }

  /** A request on the cluster-wide listener, or on a member listener with `member`. */
  async call(
    method: string,
    path: string,
    options: {
      body?: string;
      headers?: Record<string, string>;
      member?: string;
      auth?: string | null;
    } = {},
  ): Promise<V1Answer> {
    const port = options.member === undefined ? this.port : this.memberPorts[options.member];
    const auth = options.auth === undefined ? AUTH_HEADER : options.auth;
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { ...(auth === null ? {} : { authorization: auth }), ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, headers: response.headers, json };
  }

  async state(name: string): Promise<string | undefined> {
    const answer = await this.call('GET', `/v1/servers/${name}?fields[servers]=state`);
    const body = answer.json as { data?: { attributes?: { state?: string } } } | undefined;
    return body?.data?.attributes?.state;
  }

  waitForState(name: string, state: string, timeoutMs = 10_000): Promise<unknown> {
    return waitUntil(async () => ((await this.state(name)) === state ? true : undefined), {
      timeoutMs,
      intervalMs: 50,
      what: `server ${name} to show state "${state}"`,
    });
  }

  private async republish(): Promise<void> {
    for (const status of this.statuses.values()) {
      try {
        await this.store.put(memberKey(status.name), status);
      } catch {
        // the next round publishes again, as an agent would
      }
    }
  }
}
