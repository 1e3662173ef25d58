import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import { ApiGatewayModule } from '../../apps/api-gateway/src/api-gateway.module.ts';
import { configureGateway } from '../../apps/api-gateway/src/configure-gateway.ts';
import { DEFAULT_LISTENER_SETTINGS } from '../../apps/api-gateway/src/listener-settings.ts';
import type { GatewaySettings } from '../../apps/api-gateway/src/gateway-settings.ts';
import { ClusterKeys, ClusterStore, memberKey } from '../../libs/dcs/src/index.ts';
import { freeListenPort, NatsServerProcess, waitUntil } from '../../libs/harness/src/index.ts';
import {
  DynamicConfigSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  type MemberStatus,
} from '../../libs/proto/src/index.ts';
import { connectClient, uniqueScope } from './nats-clients.ts';

export const MEMBERS = ['pg1', 'pg2', 'pg3'] as const;
export type MemberName = (typeof MEMBERS)[number];
export const AUTH = { username: 'admin', password: 's3cret' };
export const AUTH_HEADER = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;

type StatusInit = MessageInitShape<typeof MemberStatusSchema>;

export function primaryStatus(name: string, scope: string, port: number): StatusInit {
  return {
    name,
    scope,
    state: 'running',
    role: 'primary',
    serverVersion: 150018,
    postmasterStartTime: '2026-11-23 10:47:03.902608+00:00',
    timeline: 1,
    xlog: { location: 67108864 },
    xlogLocation: 67108864,
    replication: [
      {
        usename: 'replicator',
        applicationName: 'pg2',
        clientAddr: '127.0.0.1',
        state: 'streaming',
        syncState: 'async',
        syncPriority: 0,
      },
    ],
    databaseSystemIdentifier: '7711316666515878914',
    connUrl: 'postgres://127.0.0.1:15432/postgres',
    apiUrl: `http://127.0.0.1:${port}/patroni`,
    version: '0.1.0',
  };
}

export function replicaStatus(
  name: string,
  scope: string,
  port: number,
  replayed = 67108864,
): StatusInit {
  return {
    name,
    scope,
    state: 'running',
    role: 'replica',
    serverVersion: 150018,
    postmasterStartTime: '2026-11-23 10:47:06.572112+00:00',
    timeline: 1,
    xlog: { receivedLocation: replayed, replayedLocation: replayed, paused: false },
    xlogLocation: replayed,
    receiveLsn: replayed,
    replayLsn: replayed,
    replicationState: 'streaming',
    databaseSystemIdentifier: '7711316666515878914',
    connUrl: `postgres://127.0.0.1:${15432 + Number(name.slice(2)) - 1}/postgres`,
    apiUrl: `http://127.0.0.1:${port}/patroni`,
    version: '0.1.0',
  };
}

export function stoppedStatus(name: string, scope: string, port: number): StatusInit {
  return {
    name,
    scope,
    state: 'stopped',
    role: 'replica',
    connUrl: `postgres://127.0.0.1:${15432 + Number(name.slice(2)) - 1}/postgres`,
    apiUrl: `http://127.0.0.1:${port}/patroni`,
    version: '0.1.0',
  };
}

export const SAMPLE_CONFIG = {
  ttl: 30,
  loopWait: 10,
  retryTimeout: 10,
  maximumLagOnFailover: 1048576,
  postgresql: {
    useSlots: true,
    usePgRewind: true,
    parameters: { wal_level: 'replica', hot_standby: 'on', max_wal_senders: 10 },
  },
};

export interface HttpAnswer {
  status: number;
  text: string;
  headers: Headers;
}

/**
 * A gateway in-process on a real nats-server, serving pg1..pg3 on their own listeners. The fixture
 * publishes member statuses every 500 ms through KV, exactly as the agents do (the gateway's contract).
 * `withoutGateway` gives the same cluster for a gateway the test runs itself (`gatewayEnvironment`).
 */
export class PatroniGatewayFixture {
  private readonly statuses = new Map<string, MemberStatus>();
  private refresher: ReturnType<typeof setInterval> | undefined;
  private app: NestFastifyApplication | undefined;

  private constructor(
    readonly nats: NatsServerProcess,
    readonly writer: NatsConnection,
    readonly store: ClusterStore,
    readonly scope: string,
    readonly ports: Record<MemberName, number>,
  ) {}

  static async start(options: Partial<GatewaySettings> = {}): Promise<PatroniGatewayFixture> {
    const fixture = await PatroniGatewayFixture.withoutGateway();
    const gateway: GatewaySettings = {
      members: MEMBERS.map((name) => ({ name, host: '127.0.0.1', port: fixture.ports[name] })),
      auth: AUTH,
      bodyLimitBytes: 64 * 1024,
      listener: DEFAULT_LISTENER_SETTINGS,
      switchoverTimeoutMs: 5_000,
      workers: 1,
      ...options,
    };
    const app = await NestFactory.create<NestFastifyApplication>(
      ApiGatewayModule.forRoot(
        {
          service: 'api-gateway',
          namespace: 'natroni',
          scope: fixture.scope,
          nats: { servers: [fixture.nats.url] },
          http: { host: '127.0.0.1', port: 0 },
        },
        gateway,
      ),
      new FastifyAdapter(),
      { logger: false, abortOnError: false },
    );
    fixture.app = app;
    await configureGateway(app, { swaggerUi: false });
    await app.listen(0, '127.0.0.1');
    return fixture;
  }

  static async withoutGateway(): Promise<PatroniGatewayFixture> {
    const nats = await NatsServerProcess.start();
    const scope = uniqueScope('gw');
    const writer = await connectClient(nats.url, 'fixture-writer');
    const store = await ClusterStore.open(writer, { namespace: 'natroni', scope });
    // Below the ephemeral range: a built gateway binds them seconds later.
    const ports = {
      pg1: await freeListenPort(),
      pg2: await freeListenPort(),
      pg3: await freeListenPort(),
    };
    const fixture = new PatroniGatewayFixture(nats, writer, store, scope, ports);
    fixture.refresher = setInterval(() => void fixture.republish(), 500);
    return fixture;
  }

  /** What a built gateway needs to serve this fixture's members (the settings `start` gives its own). */
  gatewayEnvironment(): Record<string, string> {
    const members = MEMBERS.map((name) => `${name}=127.0.0.1:${this.ports[name]}`);
    return {
      NATRONI_SCOPE: this.scope,
      NATRONI_NATS_SERVERS: this.nats.url,
      NATRONI_GATEWAY_MEMBERS: members.join(','),
      NATRONI_RESTAPI_USERNAME: AUTH.username,
      NATRONI_RESTAPI_PASSWORD: AUTH.password,
      NATRONI_GATEWAY_SWITCHOVER_TIMEOUT: '5',
    };
  }

  async dispose(): Promise<void> {
    clearInterval(this.refresher);
    await this.app?.close();
    await this.writer.close();
    await this.nats.dispose();
  }

  /** The three-member cluster of the samples: pg1 leads, pg2 and pg3 stream. */
  async standardCluster(): Promise<void> {
    await this.setStatus(primaryStatus('pg1', this.scope, this.ports.pg1));
    await this.setStatus(replicaStatus('pg2', this.scope, this.ports.pg2));
    await this.setStatus(replicaStatus('pg3', this.scope, this.ports.pg3));
    await this.setConfig(SAMPLE_CONFIG);
    await this.setLeader('pg1', 1);
    await this.waitFor('pg1', '/primary', 200);
  }

  async setStatus(init: StatusInit): Promise<void> {
    const status = create(MemberStatusSchema, init);
    this.statuses.set(status.name, status);
    await this.store.put(memberKey(status.name), status);
  }

  async setLeader(member: string, term: number): Promise<void> {
    await this.store.put(ClusterKeys.leader, create(LeaseRecordSchema, { member, term, ttl: 30 }));
  }

  async setConfig(config: MessageInitShape<typeof DynamicConfigSchema>): Promise<void> {
    await this.store.put(ClusterKeys.config, create(DynamicConfigSchema, config));
  }

  /** The port of the gateway's cluster-wide listener, its application's own HTTP server. */
  clusterWidePort(): number {
    const address = this.app?.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('the gateway is not listening');
    return address.port;
  }

  url(member: MemberName, path: string): string {
    return `http://127.0.0.1:${this.ports[member]}${path}`;
  }

  async call(
    member: MemberName,
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    const response = await fetch(this.url(member, path), {
      method,
      headers: { authorization: AUTH_HEADER, ...headers },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  waitFor(member: MemberName, path: string, status: number): Promise<unknown> {
    return waitUntil(
      async () => ((await this.call(member, 'GET', path)).status === status ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50, what: `${member} GET ${path} to answer ${status}` },
    );
  }

  waitUntilBody(member: MemberName, path: string, fragment: string): Promise<unknown> {
    return waitUntil(
      async () =>
        (await this.call(member, 'GET', path)).text.includes(fragment) ? true : undefined,
      { timeoutMs: 10_000, intervalMs: 50, what: `${member} GET ${path} to contain ${fragment}` },
    );
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
