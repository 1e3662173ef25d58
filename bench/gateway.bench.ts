/**
 * Health-check throughput of the api-gateway against a real nats-server, run the way the Patroni
 * figures were measured (wrk -t2 -c32 -d10s when wrk is installed, autocannon in this process
 * otherwise): the gateway is a separate process started from its bundle, with its default worker count
 * unless NATRONI_GATEWAY_WORKERS says otherwise. It runs once with the member listeners' health-check fast
 * path and once without it (NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH=off), then measures health checks
 * under a slowloris attack: 500 connections sending a byte of a request head per second while a client
 * checks /primary ten times a second on fresh connections.
 *
 *   npm run bench:gateway            (DURATION_S=10 CONNECTIONS=32 WARMUP_S=2 SLOWLORIS_S=20 by default;
 *                                     FAST_PATH=on or off runs one of the two only)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
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
import { summarize } from './percentiles.ts';

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
const SLOWLORIS_S = Number(process.env.SLOWLORIS_S ?? 20);
const SLOW_CONNECTIONS = 500;
const CHECKS_PER_S = 10;
const SLOWLORIS_ARG = '--slowloris-attack';
const FAST_PATHS = process.env.FAST_PATH ? [process.env.FAST_PATH] : ['on', 'off'];

/** Patroni 3.0.2 on the same kind of machine (docs/benchmarks.md), wrk -t2 -c32 -d10s. */
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

    for (const fastPath of FAST_PATHS) {
      const child = startGateway(nats.url, httpPort, pg1Port, pg2Port, fastPath);
      try {
        await measure(child, pg1Port, pg2Port, fastPath);
      } finally {
        const exited = waitForExit(child, 15_000);
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    clearInterval(republish);
    await writer.close();
    await nats.dispose();
  }
}

function startGateway(
  natsUrl: string,
  httpPort: number,
  pg1Port: number,
  pg2Port: number,
  fastPath: string,
): ChildProcess {
  return spawn(process.execPath, [resolve(__dirname, '../bundles/api-gateway/main.cjs')], {
    env: {
      ...process.env,
      NATRONI_SCOPE: SCOPE,
      NATRONI_NATS_SERVERS: natsUrl,
      NATRONI_HTTP_PORT: String(httpPort),
      NATRONI_GATEWAY_MEMBERS: `pg1=127.0.0.1:${pg1Port},pg2=127.0.0.1:${pg2Port}`,
      NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH: fastPath,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function measure(
  child: ChildProcess,
  pg1Port: number,
  pg2Port: number,
  fastPath: string,
): Promise<void> {
  // Every worker listens once the gateway logs "ready": wrk's connections then reach them all.
  let workers: number | undefined;
  if (!child.stdout) throw new Error('the gateway has no stdout');
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (workers !== undefined || !line.includes('"msg":"api-gateway ready"')) return;
    workers = (JSON.parse(line) as { workers?: number }).workers ?? 1;
  });
  const readyWorkers = await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode})`);
      return workers;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the gateway to log "api-gateway ready"' },
  );
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
  const wrk = existsSync(WRK) ? WRK : undefined;
  const shape =
    readyWorkers === 1 ? 'one Node process' : `${readyWorkers} worker processes and their primary`;
  console.log(
    wrk
      ? `wrk -t2 -c${CONNECTIONS} -d${DURATION_S}s, Patroni's run shape, after ${WARMUP_S} s of warm-up per path`
      : `autocannon -c ${CONNECTIONS} -d ${DURATION_S} after ${WARMUP_S} s of warm-up per path (install wrk for Patroni's run shape)`,
  );
  console.log(
    `gateway: ${shape} (NATRONI_GATEWAY_WORKERS), ${availableParallelism()} cores, health-check fast path ${fastPath}`,
  );
  for (const [path, port] of targets) {
    const url = `http://127.0.0.1:${port}${path}`;
    const run = (seconds: number): Promise<string> =>
      wrk ? runWrk(wrk, url, seconds) : runAutocannon(url, seconds);
    if (WARMUP_S > 0) await run(WARMUP_S);
    const figures = await run(DURATION_S);
    console.log(`GET ${path.padEnd(18)} natroni: ${figures}   | Patroni: ${PATRONI[path]}`);
  }
  if (SLOWLORIS_S > 0) console.log(await underSlowloris(pg1Port));
}

/**
 * /primary checked ten times a second on fresh connections while 500 connections trickle a head. The
 * attack runs in a process of its own, so that its reconnections do not delay the checker's clock.
 */
async function underSlowloris(port: number): Promise<string> {
  const attacker = spawn(process.execPath, [__filename, SLOWLORIS_ARG, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: attacker.stdout as NonNullable<typeof attacker.stdout> });
  const reports: string[] = [];
  lines.on('line', (line) => reports.push(line));
  await waitUntil(() => (reports.includes('open') ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: 'the slowloris attack to open its connections',
  });
  const latencies: number[] = [];
  let failed = 0;
  const checks: Array<Promise<void>> = [];
  const started = performance.now();
  while (performance.now() - started < SLOWLORIS_S * 1000) {
    checks.push(
      timedCheck(port).then(
        (ms) => void latencies.push(ms),
        () => void (failed += 1),
      ),
    );
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000 / CHECKS_PER_S));
  }
  await Promise.all(checks);
  const exited = waitForExit(attacker, 15_000);
  attacker.kill('SIGTERM');
  await exited;
  const closes = reports.find((line) => line.startsWith('closes ')) ?? 'closes unknown';
  const summary = summarize(latencies);
  return (
    `GET /primary under slowloris (${SLOW_CONNECTIONS} connections, 1 byte/s, ${SLOWLORIS_S} s): ` +
    `${latencies.length} answered, ${failed} failed, p50 ${summary.median.toFixed(2)} ms, ` +
    `p99 ${summary.p99.toFixed(2)} ms, max ${summary.max.toFixed(2)} ms; slow connections ${closes}`
  );
}

/** The attack: slow connections kept at one byte a second, reopened when closed, until SIGTERM. */
function slowloris(port: number): void {
  const head = `GET /primary HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(100_000)}`;
  const slow = new Map<Socket, number>();
  let running = true;
  let timedOut = 0;
  let otherCloses = 0;
  const open = (): void => {
    const socket = connectTcp(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (received += data));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      slow.delete(socket);
      if (!running) return;
      if (received.startsWith('HTTP/1.1 408 ')) timedOut += 1;
      else otherCloses += 1;
      open();
    });
    slow.set(socket, 0);
  };
  for (let index = 0; index < SLOW_CONNECTIONS; index += 1) open();
  const trickle = setInterval(() => {
    for (const [socket, sent] of slow) {
      socket.write(head[sent % head.length]);
      slow.set(socket, sent + 1);
    }
  }, 1_000);
  console.log('open');
  process.once('SIGTERM', () => {
    running = false;
    clearInterval(trickle);
    for (const socket of slow.keys()) socket.destroy();
    console.log(`closes with 408 ${timedOut}, otherwise ${otherCloses}`);
  });
}

/** One health check on a fresh connection, as a load balancer makes it: its time to the whole answer. */
function timedCheck(port: number): Promise<number> {
  return new Promise((resolveCheck, reject) => {
    const started = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path: '/primary', agent: false, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolveCheck(performance.now() - started)
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
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

if (process.argv[2] === SLOWLORIS_ARG) slowloris(Number(process.argv[3]));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
