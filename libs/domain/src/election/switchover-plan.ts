import type { RaceParticipant } from './leader-race.ts';

/**
 * The leader's side of a manual switchover or failover (docs/ha.md): whether a
 * healthy candidate exists, and when a scheduled one is due.
 */
export interface SwitchoverFacts {
  readonly leader: string;
  /** The candidate the request names, if any. */
  readonly candidate: string | undefined;
  /** Peers that answered in time, with their positions. */
  readonly peers: readonly (RaceParticipant & { readonly running: boolean })[];
  /** The leader's current WAL position. */
  readonly leaderWalPosition: number;
  readonly maximumLagOnFailover: number;
  /** With synchronous mode on, a switchover may only go to these. */
  readonly syncStandbys: readonly string[] | undefined;
}

/** The healthy candidates, best first (highest WAL position, then highest failover priority). */
export function switchoverCandidates(facts: SwitchoverFacts): RaceParticipant[] {
  return facts.peers
    .filter(
      (peer) =>
        peer.name !== facts.leader &&
        peer.running &&
        !peer.runningPrimary &&
        !peer.noFailover &&
        !peer.inMaintenance &&
        (facts.candidate === undefined || peer.name === facts.candidate) &&
        (facts.syncStandbys === undefined || facts.syncStandbys.includes(peer.name)) &&
        facts.leaderWalPosition - peer.walPosition <= facts.maximumLagOnFailover,
    )
    .sort((a, b) => b.walPosition - a.walPosition || b.failoverPriority - a.failoverPriority);
}

export type ScheduleStep =
  | { readonly step: 'wait'; readonly dueInMs: number }
  | { readonly step: 'act' }
  | { readonly step: 'stale' };

/** A scheduled switchover acts at its time; one found more than 1.5 × loop_wait late is dropped. */
export function scheduleStep(
  scheduledAtMs: number,
  nowMs: number,
  loopWaitMs: number,
): ScheduleStep {
  if (scheduledAtMs > nowMs) return { step: 'wait', dueInMs: scheduledAtMs - nowMs };
  if (nowMs - scheduledAtMs > 1.5 * loopWaitMs) return { step: 'stale' };
  return { step: 'act' };
}
