/**
 * What a restart of each service costs a writer: the longest time without an acknowledged write, and
 * the failovers (new lease terms) and new timelines, per service of the primary's node and per way of
 * ending it (kill -9, or SIGTERM), each started again `DOWN_MS` later, as a supervisor would. A local
 * cluster with natroni's default timings; a writer inserts one row after another on whichever member
 * accepts it.
 *
 *   npm run bench:restarts                       (RUNS=20 trials per kind of restart by default)
 *   RUNS=5 npm run bench:restarts -- election    (only the services named: election, agent)
 *
 * Each trial ends once the restarted service answers, the cluster has one primary with both replicas
 * streaming, and the leader has renewed its lease since: the gap is measured from the fault to then.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore } from '../libs/dcs/src/index.ts';
import { DEFAULT_HA_TIMINGS } from '../libs/domain/src/election/index.ts';
import { benchClusterOptions } from './bench-cluster.ts';
import { freeClusterPorts, LocalCluster, waitUntil } from '../libs/harness/src/index.ts';
import { AcknowledgedWriter } from '../test/support/acknowledged-writer.ts';
import { waitForHealthyCluster } from '../test/support/e2e-cluster.ts';
import {
  leadership,
  restartService,
  RESTART_KINDS,
  RESTARTED_SERVICES,
  type RestartedService,
  type RestartKind,
} from '../test/support/service-restarts.ts';

const RUNS = Number(process.env.RUNS ?? 20);
const DOWN_MS = Number(process.env.DOWN_MS ?? 2_000);
const SCOPE = 'bench-restarts';
const TTL_MS = DEFAULT_HA_TIMINGS.ttlSeconds * 1000;

interface Trial {
  gapMs: number;
  failovers: number;
  newTimelines: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const named = process.argv.slice(2);
  const services = RESTARTED_SERVICES.filter(
    (service) => named.length === 0 || named.includes(service),
  );
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-bench-restarts-'));
  await chmod(baseDir, 0o755);
  const cluster = await LocalCluster.start({
    ...benchClusterOptions(baseDir, SCOPE, await freeClusterPorts(3)),
  });
  const connection = await connect({ servers: cluster.nats.url });
  let writer: AcknowledgedWriter | undefined;
  try {
    const store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
    await AcknowledgedWriter.prepare(cluster, await waitForHealthyCluster(cluster, 60_000));
    writer = new AcknowledgedWriter(cluster);
    const activeWriter = writer;

    const renewedSince = async (revision: number) =>
      waitUntil(
        async () =>
          ((await store.entry(ClusterKeys.leader))?.revision ?? 0) > revision || undefined,
        { timeoutMs: TTL_MS * 3, intervalMs: 20, what: 'a renewal of the lease' },
      );

    async function trial(service: RestartedService, kind: RestartKind): Promise<Trial> {
      const before = await leadership(cluster, store);
      const startedAt = performance.now();
      const member = cluster.member(before.primary);
      await restartService(cluster, member, service, kind, DOWN_MS);
      await waitForHealthyCluster(cluster, 120_000);
      await renewedSince((await store.entry(ClusterKeys.leader))?.revision ?? 0);
      const after = await leadership(cluster, store);
      return {
        gapMs: activeWriter.longestGapMs(startedAt, performance.now()),
        failovers: after.term - before.term,
        newTimelines: after.timeline - before.timeline,
      };
    }

    console.log(
      `restarts of the primary's services: ${RUNS} trials each, started again ${DOWN_MS} ms after, ttl ${TTL_MS} ms`,
    );
    console.log(
      'service          restart   write gap median   write gap max   failovers (total, max)   new timelines',
    );
    for (const service of services) {
      for (const kind of RESTART_KINDS) {
        const trials: Trial[] = [];
        for (let run = 0; run < RUNS; run += 1) trials.push(await trial(service, kind));
        const gaps = trials.map((t) => t.gapMs);
        const failovers = trials.map((t) => t.failovers);
        const timelines = trials.map((t) => t.newTimelines);
        const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
        console.log(
          [
            service.padEnd(16),
            kind.padEnd(9),
            `${Math.round(median(gaps))} ms`.padStart(18),
            `${Math.round(Math.max(...gaps))} ms`.padStart(15),
            `${sum(failovers)} of ${RUNS}, ${Math.max(...failovers)}`.padStart(24),
            `${sum(timelines)}`.padStart(15),
          ].join(' '),
        );
      }
    }
    const lost = await activeWriter.missingOn((await leadership(cluster, store)).primary);
    console.log(`acknowledged writes lost: ${lost.length} of ${activeWriter.acknowledged.length}`);
  } finally {
    await writer?.stop();
    await connection.close();
    await cluster.stop();
    await rm(baseDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
