import type { DynamicConfig, JsonObject, MemberStatus } from './proto-types.ts';

export type SynchronousMode = 'off' | 'on' | 'quorum';

/** What a reader of the cluster view knows about the whole cluster at one instant. */
export interface ClusterFacts {
  readonly scope: string;
  /** The view was confirmed by NATS less than `ttl` ago (Patroni: its DCS cluster is not None). */
  readonly viewFresh: boolean;
  /** Epoch seconds of the last confirmation by NATS. */
  readonly dcsLastSeen: number;
  /** The member the `leader` key names, whatever the age of its revision. */
  readonly leaderName: string | undefined;
  /** The `leader` key's revision arrived less than `ttl − margin` ago on the reader's own clock. */
  readonly leaseValid: boolean;
  readonly paused: boolean;
  readonly standbyCluster: boolean;
  readonly synchronousMode: SynchronousMode;
  readonly syncStandbys: readonly string[];
  /** The leader's last known WAL position (status key or its own status), 0 when unknown. */
  readonly leaderOptime: number;
  readonly maximumLagOnFailover: number;
  readonly ttlMs: number;
}

/** One member as the reader sees it: its last status and how old that status is. */
export interface MemberFacts {
  readonly name: string;
  readonly status: MemberStatus | undefined;
  /** Milliseconds since the reader received the status; Infinity when there is none. */
  readonly statusAgeMs: number;
}

export const DEFAULT_TTL_S = 30;
export const DEFAULT_LOOP_WAIT_S = 10;
export const DEFAULT_MAXIMUM_LAG_ON_FAILOVER = 1_048_576;

export function synchronousModeOf(config: DynamicConfig | undefined): SynchronousMode {
  const value = config?.synchronousMode?.kind;
  if (!value) return 'off';
  if (value.case === 'boolValue') return value.value ? 'on' : 'off';
  if (value.case === 'stringValue') {
    const text = value.value.toLowerCase();
    if (text === 'quorum') return 'quorum';
    return ['on', 'true', 'yes', '1'].includes(text) ? 'on' : 'off';
  }
  return 'off';
}

export function syncStandbyNames(syncStandby: string | undefined): string[] {
  return syncStandby ? syncStandby.split(',').filter((name) => name !== '') : [];
}

export function ttlMsOf(config: DynamicConfig | undefined): number {
  return (config?.ttl ?? DEFAULT_TTL_S) * 1000;
}

/** A status older than ttl says nothing reliable any more: it counts as unknown. */
export function isStatusFresh(member: MemberFacts, cluster: ClusterFacts): boolean {
  return member.status !== undefined && member.statusAgeMs < cluster.ttlMs;
}

/** The member state a reader may act on: "unknown" when the status is missing or stale. */
export function effectiveState(member: MemberFacts, cluster: ClusterFacts): string {
  return isStatusFresh(member, cluster) ? (member.status?.state ?? 'unknown') : 'unknown';
}

export function effectiveRole(member: MemberFacts): string {
  return member.status?.role || 'uninitialized';
}

/** Holds the lease by the reader's timing. */
export function holdsLease(member: MemberFacts, cluster: ClusterFacts): boolean {
  return cluster.leaseValid && cluster.leaderName === member.name;
}

export function isSyncStandby(name: string, cluster: ClusterFacts): boolean {
  return cluster.synchronousMode === 'on' && cluster.syncStandbys.includes(name);
}

export function isQuorumStandby(name: string, cluster: ClusterFacts): boolean {
  return cluster.synchronousMode === 'quorum' && cluster.syncStandbys.includes(name);
}

/** The tags as a member published them; an empty object when it has none. */
export function tagsOf(status: MemberStatus | undefined): JsonObject {
  return status?.tags ?? {};
}

/** Patroni's `nofailover`: an explicit boolean wins; otherwise failover_priority <= 0 means no failover. */
export function hasNoFailover(tags: JsonObject): boolean {
  if (typeof tags['nofailover'] === 'boolean') return tags['nofailover'];
  const priority = tags['failover_priority'];
  return typeof priority === 'number' && priority <= 0;
}
