/**
 * Health-check throughput of the api-gateway against a real nats-server, run the way the Patroni
 * figures were measured (32 connections, 10 s): the gateway is a separate process started from dist,
 * autocannon runs in this one.
 *
 *   npm run bench:gateway            (DURATION_S=10 CONNECTIONS=32 by default)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import autocannon from 'autocannon';
import { ClusterKeys, ClusterStore, memberKey } from '../libs/dcs/src/index.ts';
import { freePort, NatsServerProcess, waitUntil } from '../libs/harness/src/index.ts';
import {
  DynamicConfigSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  type MemberStatus,
} from '../libs/proto/src/index.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const SCOPE = 'bench';

/** Patroni 3.0.2 on the same kind of machine (reference/patroni-samples/README.md), wrk -t2 -c32 -d10s. */
const PATRONI: Record<string, string> = {
  '/primary': '1,299 req/s, p50 2.1 ms, p99 989 ms',
  '/replica?lag=1MB': '(not measured)',
  '/patroni': '1,391 req/s, p50 2.1 ms, p99 627 ms',
};

function statuses(pg1Port: number, pg2Port: number): MemberStatus[] {
  const common = {
    scope: SCOPE,
    state: 'running',
    serverVersion: 150018,
    timeline: 1,
    version: '0.1.0',
  };
  return [
    create(MemberStatusSchema, {
      ...common,
      name: 'pg1',
      role: 'primary',
      xlog: { location: 67108864 },
      xlogLocation: 67108864,
      connUrl: 'postgres://127.0.0.1:5432/postgres',
      apiUrl: `http://127.0.0.1:${pg1Port}/patroni`,
    }),
    create(MemberStatusSchema, {
      ...common,
      name: 'pg2',
      role: 'replica',
      xlog: { receivedLocation: 67108864, replayedLocation: 67108864, paused: false },
      replicationState: 'streaming',
      connUrl: 'postgres://127.0.0.1:5433/postgres',
      apiUrl: `http://127.0.0.1:${pg2Port}/patroni`,
    }),
  ];
}

async function main(): Promise<void> {
  const nats = await NatsServerProcess.start();
  const writer = await connect({ servers: nats.url, name: 'bench-agents' });
  let gateway: ChildProcess | undefined;
  let republish: ReturnType<typeof setInterval> | undefined;
  try {
    const store = await ClusterStore.open(writer, { namespace: 'natroni', scope: SCOPE });
    const [httpPort, pg1Port, pg2Port] = [await freePort(), await freePort(), await freePort()];
    const members = statuses(pg1Port, pg2Port);
    const publish = async (): Promise<void> => {
      for (const status of members) await store.put(memberKey(status.name), status);
    };
    await store.put(
      ClusterKeys.config,
      create(DynamicConfigSchema, { ttl: 30, loopWait: 10, retryTimeout: 10 }),
    );
    await publish();
    await store.put(
      ClusterKeys.leader,
      create(LeaseRecordSchema, { member: 'pg1', term: 1, ttl: 30 }),
    );
    // The agents publish every second; so does this stand-in, and the leader renews its lease.
    republish = setInterval(() => {
      void publish();
      void store.put(
        ClusterKeys.leader,
        create(LeaseRecordSchema, { member: 'pg1', term: 1, ttl: 30 }),
      );
    }, 1_000);

    gateway = spawn(process.execPath, [resolve(__dirname, '../apps/api-gateway/src/main.js')], {
      env: {
        ...process.env,
        NATRONI_SCOPE: SCOPE,
        NATRONI_NATS_SERVERS: nats.url,
        NATRONI_HTTP_PORT: String(httpPort),
        NATRONI_GATEWAY_MEMBERS: `pg1=127.0.0.1:${pg1Port},pg2=127.0.0.1:${pg2Port}`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntil(
      async () => {
        const response = await fetch(`http://127.0.0.1:${pg1Port}/primary`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the gateway to answer 200 on pg1 /primary' },
    );

    const targets: Array<[string, number]> = [
      ['/primary', pg1Port],
      ['/replica?lag=1MB', pg2Port],
      ['/patroni', pg1Port],
    ];
    console.log(
      `autocannon -c ${CONNECTIONS} -d ${DURATION_S} (gateway: one Node process, 2-core machine)`,
    );
    for (const [path, port] of targets) {
      const result = await autocannon({
        url: `http://127.0.0.1:${port}${path}`,
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      const rate = Math.round(result.requests.average).toLocaleString('en-US');
      console.log(
        `GET ${path.padEnd(18)} natroni: ${rate} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}` +
          `   | Patroni: ${PATRONI[path]}`,
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
