import { FAULT_KIND_INFO, FAULT_KINDS, type FaultKind } from './fault-schedule.ts';
import type { AcknowledgedWrite, FaultRecord, LabRecords } from './lab-records.ts';

/**
 * Judges a lab run from its records alone: what the writer and the probes saw acknowledged, and the
 * members' final state. Pure, so that its rules have unit tests of their own.
 */
export type AnomalyKind =
  | 'split-brain'
  | 'stale-primary'
  | 'lost-writes'
  | 'unavailable'
  | 'not-healthy'
  | 'data-diverged'
  | 'aborted'
  | 'not-injected';

export interface Anomaly {
  readonly kind: AnomalyKind;
  /** The fault whose window holds it (0-based), if any. */
  readonly fault?: number;
  readonly from: number;
  readonly to: number;
  readonly summary: string;
}

export interface FaultKindRow {
  readonly kind: FaultKind;
  readonly count: number;
  /** From the fault's start to the first write sent after it that was acknowledged, per fault. */
  readonly firstWriteMs: readonly number[];
  /** From the fault's end to a healthy cluster, per fault. */
  readonly healthyMs: readonly number[];
  readonly writesLost: number;
  readonly splitBrains: number;
  readonly anomalies: number;
}

export interface LabVerdict {
  readonly rows: readonly FaultKindRow[];
  readonly anomalies: readonly Anomaly[];
  readonly acknowledgedWrites: number;
  readonly availabilityBoundMs: number;
}

/** Episodes closer than this are one. */
const EPISODE_GAP_MS = 1_000;

function faultAt(faults: readonly FaultRecord[], at: number): number | undefined {
  for (let i = faults.length - 1; i >= 0; i -= 1) {
    if (at >= faults[i].startedAt) return faults[i].index;
  }
  return undefined;
}

interface Episode {
  from: number;
  to: number;
  members: Set<string>;
  detail: string[];
}

function merge(
  episodes: Episode[],
  from: number,
  to: number,
  members: string[],
  detail: string,
): void {
  const last = episodes.at(-1);
  if (last && from <= last.to + EPISODE_GAP_MS) {
    last.to = Math.max(last.to, to);
    for (const member of members) last.members.add(member);
    if (last.detail.length < 6) last.detail.push(detail);
    return;
  }
  episodes.push({ from, to, members: new Set(members), detail: [detail] });
}

const clock = (at: number, origin: number) => `t+${((at - origin) / 1000).toFixed(3)} s`;

/**
 * Two members writable at once: a write is acknowledged by a member between its clock_timestamp() inside
 * the INSERT and its acknowledgement, and no two such intervals of different members may overlap.
 */
export function splitBrainEpisodes(acks: readonly AcknowledgedWrite[], origin: number): Episode[] {
  const sorted = [...acks].sort((a, b) => a.serverAt - b.serverAt);
  const open = new Map<string, AcknowledgedWrite>();
  const episodes: Episode[] = [];
  for (const ack of sorted) {
    for (const [member, other] of open) {
      if (member !== ack.member && other.ackAt > ack.serverAt) {
        merge(
          episodes,
          ack.serverAt,
          Math.min(other.ackAt, ack.ackAt),
          [member, ack.member],
          `${member} wrote at ${clock(other.serverAt, origin)} (acknowledged ${clock(other.ackAt, origin)}, timeline ${other.timeline}) while ${ack.member} wrote at ${clock(ack.serverAt, origin)} (timeline ${ack.timeline})`,
        );
      }
    }
    const previous = open.get(ack.member);
    if (!previous || previous.ackAt < ack.ackAt) open.set(ack.member, ack);
  }
  return episodes;
}

/**
 * A primary that comes back without a demotion: once a member wrote on timeline T, a member still writing
 * on an older timeline is a primary that never followed the new one (A → B → A without A's demotion).
 */
export function stalePrimaryEpisodes(
  acks: readonly AcknowledgedWrite[],
  origin: number,
): Episode[] {
  const sorted = [...acks].sort((a, b) => a.serverAt - b.serverAt);
  let newest: AcknowledgedWrite | undefined;
  const episodes: Episode[] = [];
  for (const ack of sorted) {
    if (newest && ack.timeline < newest.timeline && ack.member !== newest.member) {
      merge(
        episodes,
        ack.serverAt,
        ack.ackAt,
        [ack.member],
        `${ack.member} wrote on timeline ${ack.timeline} at ${clock(ack.serverAt, origin)}, after ${newest.member} had written on timeline ${newest.timeline} at ${clock(newest.serverAt, origin)}`,
      );
    }
    if (!newest || ack.timeline > newest.timeline) newest = ack;
  }
  return episodes;
}

/** The longest time without an acknowledged write between the fault's start and the healthy cluster. */
export function longestWriteGapMs(ackTimes: readonly number[], from: number, to: number): number {
  let previous = from;
  let longest = 0;
  for (const at of ackTimes) {
    if (at <= from) continue;
    longest = Math.max(longest, at - previous);
    previous = at;
    if (at >= to) return longest;
  }
  return Math.max(longest, to - previous);
}

export function checkLab(records: LabRecords, availabilityBoundMs: number): LabVerdict {
  const origin = records.startedAt;
  const anomalies: Anomaly[] = [];
  const acks: AcknowledgedWrite[] = [...records.writerAcks, ...records.probeAcks];
  const add = (
    kind: AnomalyKind,
    from: number,
    to: number,
    summary: string,
    fault = faultAt(records.faults, from),
  ) => anomalies.push({ kind, from, to, summary, ...(fault === undefined ? {} : { fault }) });

  for (const episode of splitBrainEpisodes(acks, origin)) {
    add(
      'split-brain',
      episode.from,
      episode.to,
      `${[...episode.members].join(' and ')} both acknowledged writes: ${episode.detail.join('; ')}`,
    );
  }
  for (const episode of stalePrimaryEpisodes(acks, origin)) {
    add('stale-primary', episode.from, episode.to, episode.detail.join('; '));
  }
  const writerAckTimes = records.writerAcks.map((ack) => ack.ackAt).sort((a, b) => a - b);
  for (const fault of records.faults) {
    const label = `fault ${fault.index + 1} (${fault.kind} on ${fault.target})`;
    // A fault that did not happen proves nothing: a missing tool, no stream leader, a refused switchover.
    if (fault.injectionError || fault.note) {
      add(
        'not-injected',
        fault.startedAt,
        fault.healedAt,
        `${label} did not happen as scheduled: ${fault.injectionError ?? fault.note}`,
        fault.index,
      );
    }
    if (fault.lostIds.length > 0) {
      const allowed =
        records.mode === 'async' &&
        FAULT_KIND_INFO[fault.kind].touchesPrimaryPostgres &&
        fault.lostBytes <= records.maximumLagOnFailover;
      if (!allowed) {
        add(
          'lost-writes',
          fault.startedAt,
          fault.healthyAt ?? fault.healedAt,
          `${label}: ${fault.lostIds.length} acknowledged writes lost (ids ${fault.lostIds.slice(0, 10).join(', ')}${fault.lostIds.length > 10 ? ', ...' : ''}; ${fault.lostBytes} bytes of WAL) in ${records.mode === 'sync' ? 'synchronous mode' : 'a fault that should lose none'}`,
          fault.index,
        );
      }
    }
    if (fault.healthyAt === undefined) {
      add(
        'not-healthy',
        fault.healedAt,
        fault.healedAt,
        `${label}: the cluster was not healthy again after the fault was healed`,
        fault.index,
      );
      continue;
    }
    const gap = longestWriteGapMs(writerAckTimes, fault.startedAt, fault.healthyAt);
    if (gap > availabilityBoundMs) {
      add(
        'unavailable',
        fault.startedAt,
        fault.healthyAt,
        `${label}: no write acknowledged for ${(gap / 1000).toFixed(1)} s, more than the ${(availabilityBoundMs / 1000).toFixed(0)} s bound (ttl + retry_timeout + 2 × loop_wait + 2 s)`,
        fault.index,
      );
    }
  }
  if (records.finalLostIds.length > 0) {
    add(
      'lost-writes',
      records.finishedAt,
      records.finishedAt,
      `${records.finalLostIds.length} acknowledged writes missing from the final primary (ids ${records.finalLostIds.slice(0, 10).join(', ')})`,
    );
  }
  checkFinalState(records, add);
  if (records.abortedBecause)
    add(
      'aborted',
      records.finishedAt,
      records.finishedAt,
      `the run ended early: ${records.abortedBecause}`,
    );

  const rows = FAULT_KINDS.filter((kind) =>
    records.faults.some((fault) => fault.kind === kind),
  ).map((kind): FaultKindRow => {
    const faults = records.faults.filter((fault) => fault.kind === kind);
    const indexes = new Set(faults.map((fault) => fault.index));
    const mine = anomalies.filter(
      (anomaly) => anomaly.fault !== undefined && indexes.has(anomaly.fault),
    );
    return {
      kind,
      count: faults.length,
      firstWriteMs: faults.flatMap((fault) => {
        const first = records.writerAcks.find((ack) => ack.sentAt >= fault.injectedAt);
        return first ? [first.ackAt - fault.injectedAt] : [];
      }),
      healthyMs: faults.flatMap((fault) =>
        fault.healthyAt === undefined ? [] : [fault.healthyAt - fault.healedAt],
      ),
      writesLost: faults.reduce((sum, fault) => sum + fault.lostIds.length, 0),
      splitBrains: mine.filter(
        (anomaly) => anomaly.kind === 'split-brain' || anomaly.kind === 'stale-primary',
      ).length,
      anomalies: mine.length,
    };
  });
  return { rows, anomalies, acknowledgedWrites: records.writerAcks.length, availabilityBoundMs };
}

function checkFinalState(
  records: LabRecords,
  add: (kind: AnomalyKind, from: number, to: number, summary: string) => void,
): void {
  if (records.final.length === 0) return;
  const at = records.finishedAt;
  const primaries = records.final.filter((state) => state.role === 'primary');
  const problems: string[] = [];
  if (primaries.length !== 1) problems.push(`${primaries.length} primaries at the end`);
  for (const state of records.final) {
    if (state.role === 'unreachable') problems.push(`${state.member} did not answer`);
    if (state.role === 'replica' && !state.streaming)
      problems.push(`${state.member} does not stream from the primary`);
  }
  const primary = primaries[0];
  if (primary) {
    for (const state of records.final.filter((candidate) => candidate.role === 'replica')) {
      if (state.rows !== primary.rows || state.maxId !== primary.maxId) {
        problems.push(
          `${state.member} has ${state.rows} rows up to id ${state.maxId}, the primary ${primary.rows} up to ${primary.maxId}`,
        );
      }
      if (state.timeline !== primary.timeline) {
        problems.push(
          `${state.member} is on timeline ${state.timeline}, the primary on ${primary.timeline}`,
        );
      }
    }
  }
  if (problems.length > 0)
    add('data-diverged', at, at, `the members disagree at the end: ${problems.join('; ')}`);
}
