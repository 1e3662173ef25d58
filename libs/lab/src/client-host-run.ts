import { writeFile } from 'node:fs/promises';
import { faultSchedule, type ScheduledFault } from './fault-schedule.ts';
import { injectFault, pause, type FaultTimings } from './fault-injector.ts';
import { LabCluster, type LabMember } from './lab-cluster.ts';
import { LAB_TABLES, LabClient, queryMember } from './lab-client.ts';
import { MEMBER_HOSTS } from './lab-layout.ts';
import type { LabOptions } from './lab-options.ts';
import type { FaultRecord, LabRecords, MemberFinalState, WriterAck } from './lab-records.ts';

/** The lab cluster's timings: those of the end-to-end suites, so that figures compare. */
export const LAB_DCS = {
  ttl: 8,
  loop_wait: 1,
  retry_timeout: 3,
  maximum_lag_on_failover: 1_048_576,
};

/** How long a cluster may take to be healthy again once a fault is healed (a rewind or a new clone). */
const HEALTHY_BOUND_MS = 120_000;

/** How long the next fault waits for the writer to get a write acknowledged on a healthy cluster. */
const WRITER_BACK_BOUND_MS = 30_000;

export interface ClientHostRunOptions {
  readonly lab: LabOptions;
  readonly repoDir: string;
  readonly baseDir: string;
  readonly networkOwner: number;
  readonly recordsFile: string;
}

/** Write unavailability a fault may cause: the lease runs out (ttl), a DCS call gives up (retry_timeout), two loops. */
export function availabilityBoundMs(dcs: typeof LAB_DCS): number {
  return (dcs.ttl + dcs.retry_timeout + 2 * dcs.loop_wait + 2) * 1000;
}

function log(text: string): void {
  console.log(`[lab ${new Date().toISOString().slice(11, 23)}] ${text}`);
}

type LabNats = Awaited<ReturnType<LabCluster['connectNats']>>;

/**
 * One primary, every other member streaming from it and in recovery, every natroni process healthy,
 * in synchronous mode a synchronous standby published, and the NATS streams under them settled (a
 * leader, every replica current). Otherwise, what is still missing.
 */
async function healthyPrimary(
  cluster: LabCluster,
  nc: LabNats,
): Promise<{ primary: string } | { missing: string }> {
  const roles = await Promise.all(
    cluster.members.map(async (member) => {
      try {
        const [row] = await queryMember<{ recovery: boolean }>(
          member.host,
          'SELECT pg_is_in_recovery() AS recovery',
        );
        return row.recovery ? 'replica' : 'primary';
      } catch {
        return 'down';
      }
    }),
  );
  const primaries = cluster.members.filter((_, index) => roles[index] === 'primary');
  if (primaries.length !== 1 || roles.includes('down'))
    return {
      missing: `one primary and every member answering: ${cluster.members.map((member, index) => `${member.name} ${roles[index]}`).join(', ')}`,
    };
  const primary = primaries[0];
  const streaming = await queryMember<{ name: string }>(
    primary.host,
    "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'",
  );
  const names = new Set(streaming.map((row) => row.name));
  const notStreaming = cluster.members.filter(
    (member) => member !== primary && !names.has(member.name),
  );
  if (notStreaming.length)
    return {
      missing: `${notStreaming.map((member) => member.name).join(', ')} streaming from ${primary.name}`,
    };
  const services = await Promise.all(
    cluster.members.flatMap((member) =>
      Object.entries(member.processes).map(async ([name, service]) => {
        const healthy = await service
          .health()
          .then((answer) => answer.status === 200)
          .catch(() => false);
        return healthy ? undefined : `${member.name} ${name}`;
      }),
    ),
  );
  const unhealthy = services.filter((name) => name !== undefined);
  if (unhealthy.length) return { missing: `GET /health 200 from ${unhealthy.join(', ')}` };
  // In synchronous mode a replica may take over only once the primary has published its standby.
  if (cluster.options.dcs.synchronous_mode === true && !(await cluster.syncStandby(primary)))
    return { missing: `a synchronous standby published by ${primary.name}` };
  return (await cluster.streamsSettled(nc))
    ? { primary: primary.name }
    : { missing: 'settled NATS streams' };
}

async function waitHealthy(
  cluster: LabCluster,
  nc: LabNats,
  boundMs: number,
): Promise<{ primary: string; at: number } | undefined> {
  const deadline = Date.now() + boundMs;
  let missing = 'no answer yet';
  while (Date.now() < deadline) {
    const health = await healthyPrimary(cluster, nc).catch((error: unknown) => ({
      missing: `an answer to the health check (${(error as Error).message})`,
    }));
    if ('primary' in health) return { primary: health.primary, at: Date.now() };
    missing = health.missing;
    await pause(250);
  }
  log(`not healthy within ${boundMs / 1000} s: still missing ${missing}`);
  return undefined;
}

async function presentIds(member: LabMember): Promise<Set<number>> {
  const rows = await queryMember<{ id: string }>(member.host, 'SELECT id FROM lab_writes');
  return new Set(rows.map((row) => Number(row.id)));
}

/** The WAL between the last acknowledged write that survived and the last one lost. */
function lostBytes(acks: readonly WriterAck[], lost: ReadonlySet<number>): number {
  const lostAcks = acks.filter((ack) => lost.has(ack.id));
  if (lostAcks.length === 0) return 0;
  const firstLost = Math.min(...lostAcks.map((ack) => ack.id));
  const survivors = acks.filter((ack) => ack.id < firstLost && !lost.has(ack.id));
  const lastSurvivor = survivors.length ? Math.max(...survivors.map((ack) => ack.lsn)) : 0;
  return Math.max(...lostAcks.map((ack) => ack.lsn)) - lastSurvivor;
}

async function finalStates(cluster: LabCluster, primaryName: string): Promise<MemberFinalState[]> {
  const primary = cluster.member(primaryName);
  // Let the replicas replay everything the primary has, within a bound.
  const [{ lsn }] = await queryMember<{ lsn: string }>(
    primary.host,
    'SELECT pg_current_wal_lsn()::text AS lsn',
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const behind = await Promise.all(
      cluster.members
        .filter((member) => member !== primary)
        .map((member) =>
          queryMember<{ behind: boolean }>(
            member.host,
            'SELECT pg_last_wal_replay_lsn() < $1::pg_lsn AS behind',
            [lsn],
          )
            .then(([row]) => row.behind)
            .catch(() => true),
        ),
    );
    if (!behind.some(Boolean)) break;
    await pause(250);
  }
  const streaming = new Set(
    (
      await queryMember<{ name: string }>(
        primary.host,
        "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'",
      )
    ).map((row) => row.name),
  );
  return Promise.all(
    cluster.members.map(async (member): Promise<MemberFinalState> => {
      try {
        const [row] = await queryMember<{
          rows: string;
          max_id: string | null;
          recovery: boolean;
          timeline: number;
        }>(
          member.host,
          `SELECT count(*) AS rows, max(id) AS max_id, pg_is_in_recovery() AS recovery,
             CASE WHEN pg_is_in_recovery()
               THEN (SELECT received_tli FROM pg_stat_wal_receiver)
               ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline
           FROM lab_writes`,
        );
        return {
          member: member.name,
          role: row.recovery ? 'replica' : 'primary',
          rows: Number(row.rows),
          maxId: row.max_id === null ? 0 : Number(row.max_id),
          timeline: row.timeline ?? undefined,
          ...(row.recovery ? { streaming: streaming.has(member.name) } : {}),
        };
      } catch {
        return { member: member.name, role: 'unreachable' };
      }
    }),
  );
}

/**
 * The lab run proper, on the client host: starts the cluster, runs the writer and the probes, injects
 * the scheduled faults one after another, and writes what it recorded to `recordsFile`.
 */
export async function runOnClientHost(options: ClientHostRunOptions): Promise<void> {
  const { lab } = options;
  const dcs = { ...LAB_DCS, synchronous_mode: lab.mode === 'sync' };
  const bound = availabilityBoundMs(LAB_DCS);
  const timings: FaultTimings = {
    takeoverHoldMs: bound + 3_000,
    shortHoldMs: (LAB_DCS.ttl + 4) * 1000,
    restartPauseMs: 2_000,
  };
  const cluster = new LabCluster({
    repoDir: options.repoDir,
    baseDir: options.baseDir,
    networkOwner: options.networkOwner,
    scope: 'lab',
    dcs,
  });
  const startedAt = Date.now();
  const faults: FaultRecord[] = [];
  const lost = new Set<number>();
  let client: LabClient | undefined;
  let nc: LabNats | undefined;
  let abortedBecause: string | undefined;
  let final: MemberFinalState[] = [];
  let finalLostIds: number[] = [];
  try {
    log(
      `starting a 3-server NATS cluster and 3 members (${lab.mode === 'sync' ? 'synchronous_mode on' : 'asynchronous'})`,
    );
    await cluster.start();
    nc = await cluster.connectNats();
    const first = await waitHealthy(cluster, nc, HEALTHY_BOUND_MS);
    if (!first)
      throw new Error(
        `the lab cluster was not healthy ${HEALTHY_BOUND_MS / 1000} s after its start (logs in ${cluster.options.baseDir}/logs)`,
      );
    for (const sql of LAB_TABLES) await queryMember(cluster.member(first.primary).host, sql);
    log(`healthy, primary ${first.primary}; starting the writer and the probes`);
    client = new LabClient(MEMBER_HOSTS);
    await pause(3_000);
    let primary = first.primary;
    for (const fault of faultSchedule(lab.faults, lab.seed, lab.kinds)) {
      const record = await runFault(fault, cluster, client, nc, primary, timings, lost);
      faults.push(record);
      log(
        `fault ${fault.index + 1}/${lab.faults} ${fault.kind} on ${record.target}: ` +
          (record.healthyAt
            ? `healthy ${((record.healthyAt - record.healedAt) / 1000).toFixed(1)} s after healing, primary ${record.primaryAfter}`
            : 'NOT healthy within the bound') +
          (record.lostIds.length ? `, ${record.lostIds.length} acknowledged writes lost` : '') +
          (record.note ? ` (${record.note})` : '') +
          (record.injectionError ? ` (NOT INJECTED: ${record.injectionError})` : ''),
      );
      if (!record.healthyAt || !record.primaryAfter) {
        abortedBecause = `the cluster was not healthy within ${HEALTHY_BOUND_MS / 1000} s after fault ${fault.index + 1} (${fault.kind}) was healed`;
        break;
      }
      primary = record.primaryAfter;
    }
    await client.stop();
    const end = abortedBecause ? undefined : await waitHealthy(cluster, nc, HEALTHY_BOUND_MS);
    if (end) {
      final = await finalStates(cluster, end.primary);
      const present = await presentIds(cluster.member(end.primary));
      finalLostIds = client.acknowledgedIds().filter((id) => !present.has(id));
    } else {
      abortedBecause ??= 'the cluster was not healthy at the end of the run';
    }
  } catch (error) {
    abortedBecause = (error as Error).message;
    await client?.stop();
  } finally {
    await nc?.close().catch(() => undefined);
    log('stopping the cluster');
    await cluster.stop();
  }
  const records: LabRecords = {
    seed: lab.seed,
    mode: lab.mode,
    ttlSeconds: LAB_DCS.ttl,
    loopWaitSeconds: LAB_DCS.loop_wait,
    retryTimeoutSeconds: LAB_DCS.retry_timeout,
    maximumLagOnFailover: LAB_DCS.maximum_lag_on_failover,
    startedAt,
    finishedAt: Date.now(),
    faults,
    writerAcks: client?.writerAcks ?? [],
    probeAcks: client?.probeAcks ?? [],
    events: client?.events ?? [],
    finalLostIds,
    final,
    ...(abortedBecause ? { abortedBecause } : {}),
  };
  await writeFile(options.recordsFile, JSON.stringify(records));
}

async function runFault(
  fault: ScheduledFault,
  cluster: LabCluster,
  client: LabClient,
  nc: LabNats,
  primaryBefore: string,
  timings: FaultTimings,
  lost: Set<number>,
): Promise<FaultRecord> {
  const startedAt = Date.now();
  client.note(`fault ${fault.index + 1} ${fault.kind} begins (primary ${primaryBefore})`);
  let injected;
  let injectionError: string | undefined;
  try {
    injected = await injectFault(fault, cluster, nc, primaryBefore, timings);
  } catch (error) {
    injectionError = (error as Error).message.trim();
    injected = { target: 'none', holdMs: 0, heal: async () => undefined };
  }
  const injectedAt = Date.now();
  client.note(`fault ${fault.index + 1} hits ${injected.target}`);
  await pause(injected.holdMs);
  await injected.heal();
  const healedAt = Date.now();
  client.note(`fault ${fault.index + 1} healed`);
  let healthy = await waitHealthy(cluster, nc, HEALTHY_BOUND_MS);
  // The primary may restart between the health check and this read: look again, a few times. The
  // acknowledged ids are taken before the read, so that a write acknowledged meanwhile is not missed.
  let present: Set<number> | undefined;
  let acked: number[] = [];
  for (let attempt = 0; healthy && !present && attempt < 5; attempt += 1) {
    acked = client.acknowledgedIds();
    present = await presentIds(cluster.member(healthy.primary)).catch(() => undefined);
    if (!present) healthy = await waitHealthy(cluster, nc, HEALTHY_BOUND_MS);
  }
  let lostIds: number[] = [];
  let bytes = 0;
  if (healthy && present) {
    client.note(`fault ${fault.index + 1}: healthy again, primary ${healthy.primary}`);
    // The next fault waits for the writer's next acknowledged write, so that no gap spans two faults.
    await client.acknowledgedAfter(healthy.at, WRITER_BACK_BOUND_MS);
    lostIds = acked.filter((id) => !present.has(id) && !lost.has(id));
    for (const id of lostIds) lost.add(id);
    bytes = lostBytes(client.writerAcks, new Set(lostIds));
  }
  return {
    index: fault.index,
    kind: fault.kind,
    ...(fault.role ? { role: fault.role } : {}),
    target: injected.target,
    primaryBefore,
    startedAt,
    injectedAt,
    healedAt,
    ...(healthy ? { healthyAt: healthy.at, primaryAfter: healthy.primary } : {}),
    lostIds,
    lostBytes: bytes,
    ...(injected.note ? { note: injected.note } : {}),
    ...(injectionError ? { injectionError } : {}),
  };
}
