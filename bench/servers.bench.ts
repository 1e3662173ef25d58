/**
 * `GET /v1/servers` throughput of the api-gateway for a 3-member cluster plus 50 servers natroni does
 * not manage (records pointing at closed ports: they show Down), against a real nats-server. The
 * gateway is a separate process started from dist, autocannon runs in this one.
 *
 *   npm run bench:servers            (DURATION_S=10 CONNECTIONS=32 by default)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { connect } from '@nats-io/transport-node';
import autocannon from 'autocannon';
import { ClusterKeys, ClusterStore, memberKey, serverKey } from '../libs/dcs/src/index.ts';
import { freePort, NatsServerProcess, waitUntil } from '../libs/harness/src/index.ts';
import {
  DynamicConfigSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  ServerRecordSchema,
  type MemberStatus,
} from '../libs/proto/src/index.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const UNMANAGED = 50;
const SCOPE = 'bench';

function statuses(): MemberStatus[] {
  const common = {
    scope: SCOPE,
    state: 'running',
    serverVersion: 150018,
    timeline: 1,
    version: '0.1.0',
  };
  const replica = (name: string, port: number) =>
    create(MemberStatusSchema, {
      ...common,
      name,
      role: 'replica',
      xlog: { receivedLocation: 67108864, replayedLocation: 67108864, paused: false },
      replicationState: 'streaming',
      connUrl: `postgres://127.0.0.1:${port}/postgres`,
      connections: { connections: 2, totalConnections: 10, activeOperations: 0, maxConnections: 4 },
    });
  return [
    create(MemberStatusSchema, {
      ...common,
      name: 'pg1',
      role: 'primary',
      xlog: { location: 67108864 },
      xlogLocation: 67108864,
      replication: [
        { usename: 'replicator', applicationName: 'pg2', state: 'streaming', syncState: 'async' },
        { usename: 'replicator', applicationName: 'pg3', state: 'streaming', syncState: 'async' },
      ],
      connUrl: 'postgres://127.0.0.1:5432/postgres',
      connections: {
        connections: 5,
        totalConnections: 100,
        activeOperations: 1,
        maxConnections: 9,
      },
    }),
    replica('pg2', 5433),
    replica('pg3', 5434),
  ];
}

async function main(): Promise<void> {
  const nats = await NatsServerProcess.start();
  const writer = await connect({ servers: nats.url, name: 'bench-agents' });
  let gateway: ChildProcess | undefined;
  let republish: ReturnType<typeof setInterval> | undefined;
  try {
    const store = await ClusterStore.open(writer, { namespace: 'natroni', scope: SCOPE });
    const httpPort = await freePort();
    const members = statuses();
    const publish = async (): Promise<void> => {
      for (const status of members) await store.put(memberKey(status.name), status);
      await store.put(
        ClusterKeys.leader,
        create(LeaseRecordSchema, { member: 'pg1', term: 1, ttl: 30 }),
      );
    };
    await store.put(
      ClusterKeys.config,
      create(DynamicConfigSchema, { ttl: 30, loopWait: 10, retryTimeout: 10 }),
    );
    await publish();
    for (let index = 1; index <= UNMANAGED; index += 1) {
      const name = `external-${index}`;
      await store.put(
        serverKey(name),
        create(ServerRecordSchema, {
          name,
          parameters: { address: '127.0.0.1', port: await freePort() },
          services: { names: ['read-only'] },
          createdAt: timestampNow(),
        }),
      );
    }
    // The agents publish every second; so does this stand-in, and the leader renews its lease.
    republish = setInterval(() => void publish(), 1_000);

    gateway = spawn(process.execPath, [resolve(__dirname, '../bundles/api-gateway/main.cjs')], {
      env: {
        ...process.env,
        NATRONI_SCOPE: SCOPE,
        NATRONI_NATS_SERVERS: nats.url,
        NATRONI_HTTP_PORT: String(httpPort),
        NATRONI_GATEWAY_MEMBERS: '',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${httpPort}/v1/servers`;
    await waitUntil(
      async () => {
        const response = await fetch(url).catch(() => undefined);
        if (response?.status !== 200) return undefined;
        const body = (await response.json()) as { data: { attributes: { state: string } }[] };
        const states = body.data.map((server) => server.attributes.state);
        return states.length === 3 + UNMANAGED && states[0] === 'Master, Running'
          ? true
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `the gateway to list ${3 + UNMANAGED} servers` },
    );
    const size = (await (await fetch(url)).arrayBuffer()).byteLength;
    console.log(
      `autocannon -c ${CONNECTIONS} -d ${DURATION_S} (gateway: one Node process, 2-core machine); ` +
        `3 members + ${UNMANAGED} unmanaged servers, ${Math.round(size / 1024)} KiB per response`,
    );
    for (const path of ['/v1/servers', '/v1/servers?pretty=false', '/v1/servers/pg2']) {
      const result = await autocannon({
        url: `http://127.0.0.1:${httpPort}${path}`,
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      const rate = Math.round(result.requests.average).toLocaleString('en-US');
      console.log(
        `GET ${path.padEnd(26)} ${rate} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
    }
  } finally {
    clearInterval(republish);
    gateway?.kill('SIGTERM');
    await writer.close();
    await nats.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
