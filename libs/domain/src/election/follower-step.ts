import type { OwnPostgres } from './leader-step.ts';
import { remoteSourceName, type StandbyCluster } from './standby-cluster.ts';

/**
 * What a member that does not hold the lease does in one HA cycle while another member leads
 * (Patroni's `process_healthy_cluster` and its rewind path): demote a primary that lost the lock,
 * rewind a replica whose timeline diverged, start or re-point a replica at the leader, or nothing.
 */

/** A replica that has not streamed for this long while the leader is on a newer timeline is rewound. */
export const DIVERGED_AFTER_MS = 3_000;

export interface FollowerPostgres extends OwnPostgres {
  readonly timeline: number | undefined;
  /** `streaming` while the replica streams from its primary. */
  readonly replicationState: string | undefined;
}

export interface FollowedLeader {
  readonly member: string;
  readonly term: number;
  /** Followed as the standby leader of a standby cluster (with its restore_command). */
  readonly cascading?: boolean;
}

export interface FollowerFacts {
  readonly postgres: FollowerPostgres;
  readonly leader: FollowedLeader;
  /** The connection URL the leader published; undefined until it has published its status. */
  readonly leaderConnUrl: string | undefined;
  /** How long `offLeaderTimeline` has held without a break; undefined when it does not hold. */
  readonly offTimelineForMs: number | undefined;
  /** The leader and term the agent was last told to follow successfully. */
  readonly followed: FollowedLeader | undefined;
  /** Set in a standby cluster: the leader is a standby leader and this member cascades from it. */
  readonly standby?: StandbyCluster;
}

export type FollowerStep =
  | { readonly step: 'await_leader_status'; readonly sentence: string }
  | { readonly step: 'demote'; readonly sentence: string }
  | { readonly step: 'rewind'; readonly sentence: string }
  | { readonly step: 'follow'; readonly sentence: string }
  | { readonly step: 'none'; readonly sentence: string };

/** A running replica off the stream while the leader runs a newer timeline: it may have diverged. */
export function offLeaderTimeline(
  postgres: FollowerPostgres,
  leaderTimeline: number | undefined,
): boolean {
  return (
    postgres.state === 'running' &&
    postgres.role !== 'primary' &&
    postgres.replicationState !== 'streaming' &&
    postgres.timeline !== undefined &&
    leaderTimeline !== undefined &&
    postgres.timeline < leaderTimeline
  );
}

export function followerStep(facts: FollowerFacts): FollowerStep {
  const { postgres, leader, followed, standby } = facts;
  const lease = `lease term ${leader.term}`;
  const cascading = standby !== undefined;
  const whom = cascading
    ? `standby leader ${leader.member}: ${lease}, cascading from ${remoteSourceName(standby)}`
    : `${leader.member}: ${lease}`;
  if (!facts.leaderConnUrl) {
    return {
      step: 'await_leader_status',
      sentence: `waiting for ${leader.member} (${lease}) to publish its status`,
    };
  }
  if (postgres.state === 'running' && postgres.role === 'primary') {
    return {
      step: 'demote',
      sentence: `demoting self because I do not have the lock and I was a leader: ${leader.member} holds ${lease}`,
    };
  }
  if (facts.offTimelineForMs !== undefined && facts.offTimelineForMs >= DIVERGED_AFTER_MS) {
    return {
      step: 'rewind',
      sentence: `running pg_rewind from ${leader.member}: timeline ${postgres.timeline} diverged`,
    };
  }
  const running = postgres.state === 'running' || postgres.state === 'starting';
  if (
    running &&
    followed?.member === leader.member &&
    followed.term === leader.term &&
    (followed.cascading ?? false) === cascading
  ) {
    return {
      step: 'none',
      sentence: cascading ? `following ${whom}` : `following ${leader.member}, ${lease}`,
    };
  }
  return {
    step: 'follow',
    sentence: running
      ? `following ${whom}, re-pointing the replica`
      : `following ${whom}, starting PostgreSQL as its replica`,
  };
}
