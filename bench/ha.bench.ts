/**
 * The HA figures of docs/benchmarks.md, side by side with Patroni 3.0.2 on this machine kind
 * (with Patroni's default timings), on a real local cluster with natroni's default timings.
 *
 *   npm run bench:ha                 (RUNS=5 by default; medians are reported)
 *   npm run bench:ha -- bootstrap    (the bootstrap trials only)
 *
 * Every trial's files are removed at the end, not between trials: this machine's ext4 has no journal,
 * and there a file created within a minute of a mass deletion takes several times longer (the kernel
 * skips recently freed inodes), which would charge each bootstrap for the previous trial's cleanup.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore } from '../libs/dcs/src/index.ts';
import { DEFAULT_HA_TIMINGS } from '../libs/domain/src/election/index.ts';
import { benchClusterOptions } from './bench-cluster.ts';
import {
  freeClusterPorts,
  LocalCluster,
  PostgresInstance,
  waitUntil,
  type LocalMember,
} from '../libs/harness/src/index.ts';
import { MemberWatch } from '../test/support/member-watch.ts';
import { primaries } from '../test/support/postgres-probe.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const BOOTSTRAP_ONLY = process.argv.slice(2).includes('bootstrap');
/** What the trials leave on disk, removed once the benchmark is over. */
const leftovers: { dispose(): Promise<void> }[] = [];
const SCOPE = 'bench';
/** The trials poll the members every 10 ms through this, on connections held from poll to poll. */
const watch = new MemberWatch();
const TTL_MS = DEFAULT_HA_TIMINGS.ttlSeconds * 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Starts a cluster and, from the same instant, probes its members' PostgreSQL ports: "start → primary
 * writable" and "start → two replicas streaming" are timed as Patroni's were, not from when every
 * service (gateway and metrics included) is up.
 */
async function startCluster(): Promise<{
  cluster: LocalCluster;
  writable: number;
  streaming: number;
}> {
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-bench-ha-'));
  await chmod(baseDir, 0o755);
  const ports = await freeClusterPorts(3);
  const probes = ports.members.map((memberPorts, index) => ({
    name: `pg${index + 1}`,
    ports: memberPorts,
  })) as LocalMember[];
  const startedAt = performance.now();
  const starting = LocalCluster.start({
    ...benchClusterOptions(baseDir, SCOPE, ports),
  });
  let failed = false;
  starting.catch(() => (failed = true));
  try {
    const primary = await until(async () => {
      if (failed) throw new Error('the cluster failed to start');
      for (const probe of probes) if ((await watch.inRecovery(probe)) === false) return probe;
      return undefined;
    }, 'a writable primary while the cluster starts');
    const writable = performance.now() - startedAt;
    await streamsFrom(
      primary,
      probes.filter((probe) => probe !== primary),
    );
    const streaming = performance.now() - startedAt;
    return { cluster: await starting, writable, streaming };
  } catch (error) {
    await starting.then(stopCluster, () => undefined);
    throw error;
  }
}

/**
 * initdb alone on the same disk, with data checksums as the local cluster's members use (the harness
 * skips initdb's fsync, which the members do not): the part of a bootstrap that no control plane can
 * shorten, most of it the file system creating and opening some 1,000 files.
 */
async function initdbTrial(): Promise<number> {
  const startedAt = performance.now();
  const instance = await PostgresInstance.initdb({ extraArgs: ['--data-checksums'] });
  const took = performance.now() - startedAt;
  leftovers.push(instance);
  return took;
}

async function stopCluster(cluster: LocalCluster): Promise<void> {
  await cluster.stop();
  leftovers.push({ dispose: () => rm(cluster.options.baseDir, { recursive: true, force: true }) });
}

function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  return waitUntil(probe, { timeoutMs, intervalMs: 10, what });
}

async function onePrimary(cluster: LocalCluster, except?: string): Promise<LocalMember> {
  return until(
    async () => {
      const found = [];
      for (const member of cluster.members)
        if ((await watch.inRecovery(member)) === false) found.push(member);
      return found.length === 1 && found[0].name !== except ? found[0] : undefined;
    },
    `one primary${except ? ` other than ${except}` : ''}`,
  );
}

async function streamsFrom(primary: LocalMember, replicas: LocalMember[]): Promise<true> {
  return until(
    async () => {
      const streaming = await watch.streamingReplicas(primary);
      for (const replica of replicas) {
        if (!streaming.includes(replica.name) || !(await watch.inRecovery(replica)))
          return undefined;
      }
      return true;
    },
    `${replicas.map((member) => member.name).join(', ')} streaming from ${primary.name}`,
  );
}

async function switchoverTrial(cluster: LocalCluster) {
  const leader = await onePrimary(cluster);
  await streamsFrom(
    leader,
    cluster.members.filter((member) => member !== leader),
  );
  const candidate = cluster.members.find((member) => member !== leader)!;
  const startedAt = performance.now();
  const answer = fetch(`http://127.0.0.1:${leader.ports.restapi}/switchover`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    body: JSON.stringify({ leader: leader.name, candidate: candidate.name }),
  }).then(async (response) => ({
    at: performance.now(),
    status: response.status,
    text: await response.text(),
  }));
  await until(
    async () => ((await watch.inRecovery(candidate)) === false ? true : undefined),
    `${candidate.name} writable`,
  );
  const writable = performance.now() - startedAt;
  await streamsFrom(candidate, [leader]);
  const oldLeaderStreaming = performance.now() - startedAt;
  const reply = await answer;
  if (reply.status !== 200)
    throw new Error(`POST /switchover answered ${reply.status}: ${reply.text}`);
  return { writable, http: reply.at - startedAt, oldLeaderStreaming };
}

async function nodeLossTrial(cluster: LocalCluster, store: ClusterStore) {
  const leader = await onePrimary(cluster);
  const others = cluster.members.filter((member) => member !== leader);
  await streamsFrom(leader, others);
  const pid = await cluster.postmasterPid(leader);
  leader.election.kill();
  leader.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  const entry = await store.entry(ClusterKeys.leader);
  const leaseRunsOutAt = (entry?.created.getTime() ?? killedAt) + TTL_MS;
  const promoted = await onePrimary(cluster, leader.name);
  const writableAt = Date.now();
  await streamsFrom(
    promoted,
    others.filter((member) => member !== promoted),
  );
  const otherStreamingAt = Date.now();
  const restartedAt = Date.now();
  await cluster.restart(leader, 'agent');
  await cluster.restart(leader, 'election');
  await streamsFrom(promoted, others.filter((member) => member !== promoted).concat(leader));
  return {
    afterKill: writableAt - killedAt,
    afterLeaseRanOut: writableAt - leaseRunsOutAt,
    otherStreaming: otherStreamingAt - writableAt,
    rejoined: Date.now() - restartedAt,
  };
}

/** A nats-server restart must not cost the primary its lease: the same member and term afterwards. */
async function natsRestartTrial(cluster: LocalCluster, store: ClusterStore) {
  const before = await store.entry(ClusterKeys.leader);
  const startedAt = performance.now();
  await cluster.nats.restart();
  const outage = performance.now() - startedAt;
  await new Promise((resolve) => setTimeout(resolve, TTL_MS * 1.5));
  const after = await store.entry(ClusterKeys.leader);
  const kept = before?.string() === after?.string() && (await primaries(cluster)).length === 1;
  return { outage, kept };
}

/** The median, then the range, which on a 2-core machine says as much as the median. */
function row(label: string, values: number[], patroni?: string): void {
  const range = `${(Math.min(...values) / 1000).toFixed(2)}-${seconds(Math.max(...values))}`;
  console.log(
    `${label.padEnd(62)} ${seconds(median(values)).padStart(9)} (${range})${patroni ? `   Patroni ${patroni}` : ''}`,
  );
}

/** Bootstrap trials; the last one's cluster is left running for the other trials. */
async function bootstrapTrials(): Promise<LocalCluster> {
  const initdbs: number[] = [];
  for (let run = 0; run < RUNS; run += 1) initdbs.push(await initdbTrial());
  const boots: Awaited<ReturnType<typeof startCluster>>[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const trial = await startCluster();
    boots.push(trial);
    if (run < RUNS - 1) await stopCluster(trial.cluster);
  }
  console.log(`${`natroni, median (range) of ${RUNS} runs`.padEnd(62)}`);
  row(
    'bootstrap: start → primary writable',
    boots.map((b) => b.writable),
    '3.17 s',
  );
  row(
    'bootstrap: start → two replicas streaming',
    boots.map((b) => b.streaming),
    '4.47 s',
  );
  row('  (initdb alone, on the same disk)', initdbs);
  return boots[boots.length - 1].cluster;
}

async function clusterTrials(cluster: LocalCluster): Promise<void> {
  const connection = await connect({
    servers: cluster.nats.url,
    reconnectTimeWait: 250,
    maxReconnectAttempts: -1,
  });
  const store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
  try {
    const switchovers = [];
    for (let run = 0; run < RUNS; run += 1) switchovers.push(await switchoverTrial(cluster));
    const losses = [];
    for (let run = 0; run < RUNS; run += 1) losses.push(await nodeLossTrial(cluster, store));
    const restarts = [];
    for (let run = 0; run < RUNS; run += 1) restarts.push(await natsRestartTrial(cluster, store));
    row(
      'switchover: request → candidate writable',
      switchovers.map((s) => s.writable),
      '1.78 s',
    );
    row(
      'switchover: request → HTTP 200',
      switchovers.map((s) => s.http),
      '2.20 s',
    );
    row(
      'switchover: request → old leader streaming',
      switchovers.map((s) => s.oldLeaderStreaming),
      '3.89 s',
    );
    row(
      'node loss: kill -9 → new primary writable',
      losses.map((l) => l.afterKill),
      '25.5 s with ttl 30',
    );
    row(
      'node loss: lease ran out → new primary writable',
      losses.map((l) => l.afterLeaseRanOut),
      '0.02-0.08 s',
    );
    row(
      'node loss: new primary writable → other replica streaming',
      losses.map((l) => l.otherStreaming),
      '5 s',
    );
    row(
      'node loss: killed member restarted → streaming again',
      losses.map((l) => l.rejoined),
      '6.7 s',
    );
    console.log(
      `nats-server restart (outage median ${seconds(median(restarts.map((r) => r.outage)))}): ` +
        `lease kept ${restarts.filter((r) => r.kept).length} of ${restarts.length} times`,
    );
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `natroni HA benchmark: ${RUNS} runs, ttl ${DEFAULT_HA_TIMINGS.ttlSeconds} s, loop_wait ${DEFAULT_HA_TIMINGS.loopWaitSeconds} s, retry_timeout ${DEFAULT_HA_TIMINGS.retryTimeoutSeconds} s`,
  );
  try {
    const cluster = await bootstrapTrials();
    try {
      if (!BOOTSTRAP_ONLY) await clusterTrials(cluster);
    } finally {
      await stopCluster(cluster);
    }
  } finally {
    await watch.close();
    for (const leftover of leftovers) await leftover.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
