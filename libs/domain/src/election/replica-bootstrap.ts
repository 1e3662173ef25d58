/**
 * How a member with an empty data directory gets one once the cluster is initialized (the part of
 * Patroni's `ha.py` `bootstrap()` after the initialize race): a copy of the leader, or, when there is no
 * leader, Patroni's "bootstrap (without leader)" with the replica creation methods that need no member
 * to copy from (a restore from a backup repository: the disaster-recovery path), or waiting.
 */

/** The `leader` key's holder as this member sees it. */
export interface ReplicaBootstrapLeader {
  readonly member: string;
  /** Its PostgreSQL runs and it published a conn_url: there is something to copy. */
  readonly running: boolean;
  /**
   * Its lease has not run out on this member's clock (also while this member cannot tell yet): a
   * leader that is only slow to start must not be replaced by a restore.
   */
  readonly leaseLive: boolean;
}

export interface ReplicaBootstrapFacts {
  /** Undefined when the `leader` key is free. */
  readonly leader: ReplicaBootstrapLeader | undefined;
  /** The `initialize` key has no system identifier yet: another member's bootstrap is under way. */
  readonly bootstrapping: boolean;
  /** Some replica creation method works without a source (canCreateReplicaWithoutLeader). */
  readonly canCreateWithoutLeader: boolean;
  /** A standby cluster, whose own replica creation methods natroni does not take yet. */
  readonly standby: boolean;
  /** In pause, as Patroni, no member creates its data without a leader. */
  readonly paused: boolean;
}

export type ReplicaBootstrapStep =
  | { readonly step: 'clone_from_leader'; readonly leader: string }
  | { readonly step: 'bootstrap_without_leader'; readonly sentence: string }
  | {
      readonly step: 'wait';
      readonly sentence: string;
      /** The leader whose next status is worth a new cycle at once. */
      readonly awaited?: string;
    };

export function replicaBootstrapStep(facts: ReplicaBootstrapFacts): ReplicaBootstrapStep {
  const { leader } = facts;
  // A running PostgreSQL under the leader key is copied even once its lease has run out: a copy of a
  // live member is better than a restore.
  if (leader?.running) return { step: 'clone_from_leader', leader: leader.member };
  const waiting = facts.standby
    ? 'waiting for standby_leader to bootstrap'
    : 'waiting for leader to bootstrap';
  if (leader?.leaseLive) return { step: 'wait', sentence: waiting, awaited: leader.member };
  // As Patroni: never while another member's bootstrap may still create the cluster.
  if (facts.canCreateWithoutLeader && !facts.standby && !facts.bootstrapping && !facts.paused) {
    return { step: 'bootstrap_without_leader', sentence: 'bootstrap (without leader)' };
  }
  return leader
    ? { step: 'wait', sentence: waiting, awaited: leader.member }
    : { step: 'wait', sentence: waiting };
}
