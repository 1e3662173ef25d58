/**
 * Health-check throughput of the api-gateway against a real nats-server, run the way the Patroni
 * figures were measured (wrk -t2 -c32 -d10s when wrk is installed, autocannon in this process
 * otherwise), in the per-node layout: each member has a gateway of its own, bound to that member alone.
 * The primary's paths are asked of pg1's gateway, the replica's of pg2's. It runs once with the member
 * listeners' health-check fast path and once without it (NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH=off);
 * each run then measures pg1's /primary under a slowloris attack and prints each gateway's resident
 * memory (its processes together, workers included).
 *
 *   npm run bench:gateway            (DURATION_S=10 CONNECTIONS=32 WARMUP_S=2 SLOWLORIS_S=20 by default;
 *                                     FAST_PATH=on or off runs one of the two only)
 */
import { availableParallelism } from 'node:os';
import { create } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore, memberKey } from '../libs/dcs/src/index.ts';
import { freePort, NatsServerProcess, waitUntil } from '../libs/harness/src/index.ts';
import {
  DynamicConfigSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  type MemberStatus,
} from '../libs/proto/src/index.ts';
import {
  residentMemory,
  startGateway,
  stopGateway,
  type GatewayProcess,
} from './gateway-process.ts';
import { loadGenerator } from './load-generators.ts';
import { checksUnderSlowloris, slowlorisAttack } from './slowloris.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
/**
 * Seconds of the same load on each path before it is measured, not counted: a fresh gateway's first
 * seconds pay for JIT compilation and for collecting its boot garbage (p99 about 10 ms instead of 5).
 */
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const SLOWLORIS_S = Number(process.env.SLOWLORIS_S ?? 20);
const FAST_PATHS = process.env.FAST_PATH ? [process.env.FAST_PATH] : ['on', 'off'];
const SCOPE = 'bench';
const SLOWLORIS_ARG = '--slowloris-attack';

/** Patroni 3.0.2 on the same kind of machine (docs/benchmarks.md), wrk -t2 -c32 -d10s. */
const PATRONI: Record<string, string> = {
  '/primary': '1,299 req/s, p50 2.1 ms, p99 989 ms',
  '/replica?lag=1MB': '(not measured)',
  '/patroni': '1,391 req/s, p50 2.1 ms, p99 627 ms',
  rss: 'about 61 MB',
};

interface Member {
  readonly name: string;
  readonly port: number;
}

function statuses(pg1: Member, pg2: Member): MemberStatus[] {
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
      name: pg1.name,
      role: 'primary',
      xlog: { location: 67108864 },
      xlogLocation: 67108864,
      connUrl: 'postgres://127.0.0.1:5432/postgres',
      apiUrl: `http://127.0.0.1:${pg1.port}/patroni`,
    }),
    create(MemberStatusSchema, {
      ...common,
      name: pg2.name,
      role: 'replica',
      xlog: { receivedLocation: 67108864, replayedLocation: 67108864, paused: false },
      replicationState: 'streaming',
      connUrl: 'postgres://127.0.0.1:5433/postgres',
      apiUrl: `http://127.0.0.1:${pg2.port}/patroni`,
    }),
  ];
}

async function main(): Promise<void> {
  const nats = await NatsServerProcess.start();
  const writer = await connect({ servers: nats.url, name: 'bench-agents' });
  let republish: ReturnType<typeof setInterval> | undefined;
  try {
    const store = await ClusterStore.open(writer, { namespace: 'natroni', scope: SCOPE });
    const pg1: Member = { name: 'pg1', port: await freePort() };
    const pg2: Member = { name: 'pg2', port: await freePort() };
    const members = statuses(pg1, pg2);
    const lease = create(LeaseRecordSchema, { member: pg1.name, term: 1, ttl: 30 });
    const publish = async (): Promise<void> => {
      for (const status of members) await store.put(memberKey(status.name), status);
    };
    await store.put(
      ClusterKeys.config,
      create(DynamicConfigSchema, { ttl: 30, loopWait: 10, retryTimeout: 10 }),
    );
    await publish();
    await store.put(ClusterKeys.leader, lease);
    // The agents publish every second; so does this stand-in, and the leader renews its lease.
    republish = setInterval(() => {
      void publish();
      void store.put(ClusterKeys.leader, lease);
    }, 1_000);

    for (const fastPath of FAST_PATHS) {
      const gateways: GatewayProcess[] = [];
      try {
        for (const member of [pg1, pg2]) {
          const settings = { scope: SCOPE, natsUrl: nats.url, fastPath };
          const httpPort = await freePort();
          const memberSettings = { member: member.name, memberPort: member.port, httpPort };
          gateways.push(await startGateway({ ...settings, ...memberSettings }));
        }
        await measure(gateways, pg1, pg2, fastPath);
      } finally {
        await Promise.all(gateways.map(stopGateway));
      }
    }
  } finally {
    clearInterval(republish);
    await writer.close();
    await nats.dispose();
  }
}

async function measure(
  gateways: readonly GatewayProcess[],
  pg1: Member,
  pg2: Member,
  fastPath: string,
): Promise<void> {
  await waitUntil(
    async () => {
      const response = await fetch(`http://127.0.0.1:${pg1.port}/primary`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: "pg1's gateway to answer 200 on /primary" },
  );
  const idleRss = await Promise.all(gateways.map(residentMemory));

  const load = loadGenerator(CONNECTIONS, DURATION_S);
  const workers = gateways[0].workers;
  const shape =
    workers === 1 ? 'one Node process' : `${workers} worker processes and their primary`;
  console.log(`${load.shape}, after ${WARMUP_S} s of warm-up per path`);
  console.log(
    `each member's gateway: ${shape} (NATRONI_GATEWAY_WORKERS), ${availableParallelism()} cores, health-check fast path ${fastPath}`,
  );
  const targets: Array<[string, Member]> = [
    ['/primary', pg1],
    ['/replica?lag=1MB', pg2],
    ['/patroni', pg1],
  ];
  for (const [path, member] of targets) {
    const url = `http://127.0.0.1:${member.port}${path}`;
    if (WARMUP_S > 0) await load.run(url, WARMUP_S);
    const figures = await load.run(url, DURATION_S);
    console.log(
      `GET ${path.padEnd(18)} ${member.name}'s gateway: ${figures}   | Patroni: ${PATRONI[path]}`,
    );
  }
  if (SLOWLORIS_S > 0) {
    console.log(await checksUnderSlowloris(pg1.port, SLOWLORIS_S, [__filename, SLOWLORIS_ARG]));
  }
  for (const [index, gateway] of gateways.entries()) {
    const loaded = await residentMemory(gateway);
    console.log(
      `RSS of ${gateway.member}'s gateway: ${idleRss[index]} MB idle, ${loaded} MB after the load   | Patroni: ${PATRONI.rss}`,
    );
  }
}

if (process.argv[2] === SLOWLORIS_ARG) slowlorisAttack(Number(process.argv[3]));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
