/**
 * The client-visible write gap of a switchover behind the routers the router updater drives: HAProxy
 * with Patroni's documented check timings (`inter 3s fall 3 rise 2`) and PgBouncer in transaction
 * pooling. A local cluster with natroni's default timings; one writer inserts through HAProxy's
 * primary port on a fresh connection each time, another over one connection through PgBouncer, both
 * every 5 ms. Each trial asks for a switchover and ends once both writers have written on the new
 * primary and a second has passed; its gap is the longest time without an acknowledged write.
 *
 *   npm run bench:router               (RUNS=20 switchovers by default)
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  freeClusterPorts,
  LocalCluster,
  waitUntil,
  type LocalMember,
} from '../libs/harness/src/index.ts';
import { benchClusterOptions } from './bench-cluster.ts';
import { summarize } from './percentiles.ts';
import { waitForHealthyCluster } from '../test/support/e2e-cluster.ts';
import type { HaproxyProcess } from '../test/support/haproxy-process.ts';
import { probeClient, RECOVERY_QUERY, withClient } from '../test/support/postgres-probe.ts';
import {
  connectionOptions,
  PgbouncerProcess,
  startRouterUpdater,
  startSlowCheckHaproxy,
} from '../test/support/router-updater.ts';
import { ConnectionWriter, longestGap, SessionWriter } from '../test/support/router-writers.ts';

const RUNS = Number(process.env.RUNS ?? 20);
const SCOPE = 'bench-router';
const SETTLE_MS = 1_000;

/** When `member` answers `pg_is_in_recovery()` with false, polled every 5 ms over one connection. */
async function writableAt(member: LocalMember): Promise<number> {
  const probe = probeClient(member, 2_000);
  await probe.connect();
  try {
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const result = await probe.query<{ recovery: boolean }>(RECOVERY_QUERY);
      if (result.rows[0]?.recovery === false) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`${member.name} did not become writable within 30 s`);
  } finally {
    await probe.end().catch(() => undefined);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

async function main(): Promise<void> {
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-bench-router-'));
  await chmod(baseDir, 0o755);
  const cluster = await LocalCluster.start(
    benchClusterOptions(baseDir, SCOPE, await freeClusterPorts(3)),
  );
  let haproxy: HaproxyProcess | undefined;
  let pgbouncer: PgbouncerProcess | undefined;
  const clients: pg.Client[] = [];
  const writers: { stop(): Promise<void> }[] = [];
  const updater = { kill: () => undefined as void };
  try {
    let primary = cluster.member(await waitForHealthyCluster(cluster, 60_000));
    await withClient(primary, (probe) =>
      probe.query('CREATE TABLE bench_router (id bigserial PRIMARY KEY, seq int NOT NULL)'),
    );
    const lb = await startSlowCheckHaproxy(cluster, 'lb');
    haproxy = lb.haproxy;
    const pool = await PgbouncerProcess.start(baseDir, { port: primary.ports.postgres });
    pgbouncer = pool;
    const service = await startRouterUpdater(cluster, {
      haproxy: [
        {
          name: 'lb',
          stats_socket: lb.statsSocket,
          primary_backend: 'primary',
          replica_backends: ['replicas'],
        },
      ],
      pgbouncer: [
        {
          name: 'pool',
          admin: pool.adminUrl,
          databases_file: pool.databasesFile,
          databases: { appdb: connectionOptions() },
        },
      ],
    });
    updater.kill = () => service.kill();
    // One client connection through PgBouncer. PgBouncer closes it only when its transaction still
    // ran on the old primary as that stopped; the client then connects again, as an application would.
    const pooledWriters: ConnectionWriter[] = [];
    const connectPooled = async (): Promise<ConnectionWriter> => {
      const pooled = new pg.Client({
        host: '127.0.0.1',
        port: pool.port,
        user: 'app',
        database: 'appdb',
        connectionTimeoutMillis: 5_000,
      });
      pooled.on('error', () => undefined);
      await waitUntil(async () => (await pooled.connect().then(() => true)) || undefined, {
        timeoutMs: 10_000,
        intervalMs: 200,
        what: 'a connection through PgBouncer',
      });
      clients.push(pooled);
      const writer = new ConnectionWriter(pooled, 'bench_router', 5);
      pooledWriters.push(writer);
      writers.push(writer);
      return writer;
    };
    let throughPgbouncer = await connectPooled();
    const throughHaproxy = new SessionWriter(lb.primaryPort, 'bench_router', 5);
    writers.push(throughHaproxy);
    await waitUntil(
      async () => throughHaproxy.acknowledgedBy(primary.ports.postgres).length > 0 || undefined,
      {
        timeoutMs: 15_000,
        intervalMs: 50,
        what: "a write through HAProxy's primary port",
      },
    );

    const gaps = { haproxy: [] as number[], pgbouncer: [] as number[] };
    const lags = { haproxy: [] as number[], pgbouncer: [] as number[] };
    const switchovers: number[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const candidate =
        cluster.members[(cluster.members.indexOf(primary) + 1) % cluster.members.length];
      await waitForHealthyCluster(cluster, 60_000);
      const marks = [throughHaproxy.acknowledged.length, throughPgbouncer.acknowledged.length];
      const writable = writableAt(candidate);
      const requestedAt = performance.now();
      const response = await fetch(
        `http://127.0.0.1:${cluster.members[0].ports.gateway}/switchover`,
        {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
          body: JSON.stringify({ leader: primary.name, candidate: candidate.name }),
          signal: AbortSignal.timeout(30_000),
        },
      );
      if (response.status !== 200)
        throw new Error(`switchover ${run}: ${response.status} ${await response.text()}`);
      await waitUntil(
        async () => {
          if (throughPgbouncer.closed) {
            throughPgbouncer = await connectPooled();
            marks[1] = 0;
          }
          return (
            (throughHaproxy.acknowledgedBy(candidate.ports.postgres, marks[0]).length > 0 &&
              throughPgbouncer.acknowledgedBy(candidate.ports.postgres, marks[1]).length > 0) ||
            undefined
          );
        },
        {
          timeoutMs: 30_000,
          intervalMs: 10,
          what: `writes on ${candidate.name} through both routers`,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const endedAt = performance.now();
      gaps.haproxy.push(throughHaproxy.longestGap(requestedAt, endedAt));
      const pooledWrites = pooledWriters.flatMap((writer) => writer.acknowledged);
      gaps.pgbouncer.push(longestGap(pooledWrites, requestedAt, endedAt));
      const writableMs = (await writable) - requestedAt;
      const firstOn = (writes: readonly { port: number; at: number }[]) =>
        Math.min(
          ...writes
            .filter((write) => write.port === candidate.ports.postgres)
            .map((write) => write.at),
        ) - requestedAt;
      switchovers.push(writableMs);
      lags.haproxy.push(firstOn(throughHaproxy.acknowledged.slice(marks[0])) - writableMs);
      lags.pgbouncer.push(
        firstOn(pooledWrites.filter((write) => write.at >= requestedAt)) - writableMs,
      );
      console.log(
        `switchover ${run}: ${primary.name} -> ${candidate.name}  writable after ${seconds(writableMs)}; gap through HAProxy ${seconds(gaps.haproxy.at(-1) ?? 0)}, through PgBouncer ${seconds(gaps.pgbouncer.at(-1) ?? 0)}`,
      );
      primary = candidate;
    }
    console.log(`\nclient-visible write gap during a switchover (${RUNS} switchovers):`);
    for (const [router, samples] of Object.entries(gaps)) {
      const summary = summarize(samples);
      const lag = summarize(lags[router as keyof typeof lags]);
      console.log(
        `  through ${router.padEnd(9)} median ${seconds(summary.median)}  max ${seconds(summary.max)}  (first write on the new primary after it became writable: median ${seconds(lag.median)}, max ${seconds(lag.max)})`,
      );
    }
    const switchover = summarize(switchovers);
    console.log(
      `  the switchover itself, request -> candidate writable: median ${seconds(switchover.median)}  max ${seconds(switchover.max)}`,
    );
    console.log(
      `  failed writes: ${throughHaproxy.errors.length} through HAProxy (${throughHaproxy.readOnly.length} read-only), ${pooledWriters.reduce((sum, writer) => sum + writer.errors.length, 0)} through PgBouncer (client connections closed: ${pooledWriters.length - 1})`,
    );
  } finally {
    await Promise.all(writers.map((writer) => writer.stop()));
    await Promise.all(clients.map((each) => each.end().catch(() => undefined)));
    updater.kill();
    await haproxy?.stop();
    await pgbouncer?.stop();
    await cluster.stop();
    await rm(baseDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
