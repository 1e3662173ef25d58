/**
 * Health-check throughput of the api-gateway against a real nats-server, run the way the Patroni
 * figures were measured (wrk -t2 -c32 -d10s when wrk is installed, autocannon in this process
 * otherwise), in the per-node layout: each member has a gateway of its own, a separate process started
 * from its bundle with its default worker count unless NATRONI_GATEWAY_WORKERS says otherwise. The
 * primary's paths are asked of pg1's gateway, the replica's of pg2's; then each gateway's resident
 * memory is printed (its processes together, workers included).
 *
 *   npm run bench:gateway            (DURATION_S=10 CONNECTIONS=32 WARMUP_S=2 by default)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { create } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import autocannon from 'autocannon';
import { ClusterKeys, ClusterStore, memberKey } from '../libs/dcs/src/index.ts';
import { freePort, NatsServerProcess, waitForExit, waitUntil } from '../libs/harness/src/index.ts';
import {
  DynamicConfigSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  type MemberStatus,
} from '../libs/proto/src/index.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
/** Debian's wrk: the load generator the Patroni figures were measured with, when installed. */
const WRK = '/usr/bin/wrk';
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
/**
 * Seconds of the same load on each path before it is measured, not counted: a fresh gateway's first
 * seconds pay for JIT compilation and for collecting its boot garbage (p99 about 10 ms instead of 5).
 */
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
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
  const gateways: ChildProcess[] = [];
  let republish: ReturnType<typeof setInterval> | undefined;
  try {
    const store = await ClusterStore.open(writer, { namespace: 'natroni', scope: SCOPE });
    const [pg1Port, pg2Port] = [await freePort(), await freePort()];
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

    const pg1 = await startGateway(nats.url, await freePort(), 'pg1', pg1Port);
    gateways.push(pg1.child);
    const pg2 = await startGateway(nats.url, await freePort(), 'pg2', pg2Port);
    gateways.push(pg2.child);
    const readyWorkers = pg1.workers;
    await waitUntil(
      async () => {
        const response = await fetch(`http://127.0.0.1:${pg1Port}/primary`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "pg1's gateway to answer 200 on /primary" },
    );
    const idleRss = { pg1: await residentMemory(pg1.child), pg2: await residentMemory(pg2.child) };

    const targets: Array<[string, number]> = [
      ['/primary', pg1Port],
      ['/replica?lag=1MB', pg2Port],
      ['/patroni', pg1Port],
    ];
    const wrk = existsSync(WRK) ? WRK : undefined;
    const shape =
      readyWorkers === 1
        ? 'one Node process'
        : `${readyWorkers} worker processes and their primary`;
    console.log(
      wrk
        ? `wrk -t2 -c${CONNECTIONS} -d${DURATION_S}s, Patroni's run shape, after ${WARMUP_S} s of warm-up per path`
        : `autocannon -c ${CONNECTIONS} -d ${DURATION_S} after ${WARMUP_S} s of warm-up per path (install wrk for Patroni's run shape)`,
    );
    console.log(
      `each member's gateway: ${shape} (NATRONI_GATEWAY_WORKERS), ${availableParallelism()} cores`,
    );
    for (const [path, port] of targets) {
      const url = `http://127.0.0.1:${port}${path}`;
      const run = (seconds: number): Promise<string> =>
        wrk ? runWrk(wrk, url, seconds) : runAutocannon(url, seconds);
      if (WARMUP_S > 0) await run(WARMUP_S);
      const figures = await run(DURATION_S);
      console.log(`GET ${path.padEnd(18)} natroni: ${figures}   | Patroni: ${PATRONI[path]}`);
    }
    for (const [name, gateway] of [
      ['pg1', pg1],
      ['pg2', pg2],
    ] as const) {
      const loaded = await residentMemory(gateway.child);
      console.log(
        `RSS of ${name}'s gateway: ${idleRss[name]} MB idle, ${loaded} MB after the load   | Patroni: ~61 MB`,
      );
    }
  } finally {
    clearInterval(republish);
    await Promise.all(
      gateways.map((gateway) => {
        const exited = waitForExit(gateway, 15_000);
        gateway.kill('SIGTERM');
        return exited;
      }),
    );
    await writer.close();
    await nats.dispose();
  }
}

/** A member's own gateway, bound to that member alone; resolves once it logs that it is ready. */
async function startGateway(
  natsUrl: string,
  httpPort: number,
  member: string,
  memberPort: number,
): Promise<{ child: ChildProcess; workers: number }> {
  const child = spawn(process.execPath, [resolve(__dirname, '../bundles/api-gateway/main.cjs')], {
    env: {
      ...process.env,
      NATRONI_SCOPE: SCOPE,
      NATRONI_NATS_SERVERS: natsUrl,
      NATRONI_HTTP_PORT: String(httpPort),
      NATRONI_GATEWAY_MEMBERS: `${member}=127.0.0.1:${memberPort}`,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Every worker listens once the gateway logs "ready": wrk's connections then reach them all.
  let workers: number | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (workers !== undefined || !line.includes('"msg":"api-gateway ready"')) return;
    workers = (JSON.parse(line) as { workers?: number }).workers ?? 1;
  });
  const ready = await waitUntil(
    () => {
      if (child.exitCode !== null)
        throw new Error(`${member}'s gateway exited (${child.exitCode})`);
      return workers;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `${member}'s gateway to log "api-gateway ready"` },
  );
  return { child, workers: ready };
}

/** Resident memory of a process and its children (a gateway's workers), in MB. */
async function residentMemory(child: ChildProcess): Promise<number> {
  const output = await new Promise<string>((resolveOutput, reject) => {
    execFile(
      'ps',
      ['-o', 'rss=', '-p', String(child.pid), '--ppid', String(child.pid)],
      (error, stdout) => (error ? reject(error) : resolveOutput(stdout)),
    );
  });
  const kilobytes = output
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((value) => Number.isFinite(value) && value > 0)
    .reduce((sum, value) => sum + value, 0);
  return Math.round(kilobytes / 1024);
}

async function runAutocannon(url: string, seconds: number): Promise<string> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  const rate = Math.round(result.requests.average).toLocaleString('en-US');
  return `${rate} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`;
}

/** wrk's summary: requests per second and the 50th and 99th latency percentiles. */
async function runWrk(wrk: string, url: string, seconds: number): Promise<string> {
  const output = await new Promise<string>((resolveOutput, reject) => {
    execFile(
      wrk,
      ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url],
      { timeout: (seconds + 30) * 1000 },
      (error, stdout) => (error ? reject(error) : resolveOutput(stdout)),
    );
  });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  const p50 = /^\s+50%\s+(\S+)/m.exec(output)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(output)?.[1];
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? '0';
  return `${Math.round(Number(rate)).toLocaleString('en-US')} req/s, p50 ${p50}, p99 ${p99}, non-2xx ${non2xx}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
