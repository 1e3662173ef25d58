import { haTimings } from '../election/ha-timings.ts';
import type { DynamicConfig, JsonObject, MemberStatus } from './proto-types.ts';
import { observerDeadline } from '../lease-timing.ts';

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
  /** `failsafe_mode` of the dynamic configuration. */
  readonly failsafeMode: boolean;
  /** The members the `failsafe` key names. */
  readonly failsafeMembers: readonly string[];
  readonly standbyCluster: boolean;
  readonly synchronousMode: SynchronousMode;
  readonly syncStandbys: readonly string[];
  /** The leader's last known WAL position (status key or its own status), 0 when unknown. */
  readonly leaderWalPosition: number;
  readonly maximumLagOnFailover: number;
  readonly ttlMs: number;
}

/** One member as the reader sees it: its last status and how old that status is. */
export interface MemberFacts {
  readonly name: string;
  readonly status: MemberStatus | undefined;
  /** Milliseconds since the reader received the status; Infinity when there is none. */
  readonly statusAgeMs: number;
  /** Put into maintenance or drained through `/v1/servers`: out of the read endpoints. */
  readonly outOfReadRotation?: boolean;
}

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
  return haTimings(config).ttlMs;
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

/** What a reader has seen of the DCS, timed on its own monotonic clock (`performance.now()`). */
export interface ClusterObservation {
  readonly scope: string;
  readonly nowMs: number;
  /** When NATS last confirmed the view (a watch event or a round trip). */
  readonly confirmedAtMs: number;
  /** The same instant on the wall clock (epoch milliseconds). */
  readonly confirmedWallMs: number;
  readonly config: DynamicConfig | undefined;
  /** The `leader` key's value: holder and lease ttl in seconds (0: the config's ttl). */
  readonly leader: { readonly member: string; readonly ttl: number } | undefined;
  /** When the `leader` key's latest revision arrived. */
  readonly leaderSeenAtMs: number | undefined;
  readonly syncStandby: string | undefined;
  /** The `status` key's WAL position (`optime` on the wire). */
  readonly statusWalPosition: number | undefined;
  /** The leader's own last published WAL position. */
  readonly leaderMemberWalPosition: number | undefined;
  /** The members the `failsafe` key names; empty when the key is absent. */
  readonly failsafeMembers: readonly string[];
}

/** The cluster-wide facts a reader (gateway, metrics) may state from what it observed. */
export function clusterFactsOf(observation: ClusterObservation): ClusterFacts {
  const { config, leader, nowMs } = observation;
  const ttlMs = ttlMsOf(config);
  const leaseTtlMs = leader && leader.ttl > 0 ? leader.ttl * 1000 : ttlMs;
  const leaderSeenAt = observation.leaderSeenAtMs ?? Number.NEGATIVE_INFINITY;
  return {
    scope: observation.scope,
    viewFresh: nowMs - observation.confirmedAtMs < ttlMs,
    dcsLastSeen: Math.floor(observation.confirmedWallMs / 1000),
    leaderName: leader?.member || undefined,
    leaseValid: leader !== undefined && nowMs < observerDeadline(leaderSeenAt, leaseTtlMs),
    paused: config?.pause === true,
    failsafeMode: config?.failsafeMode === true,
    failsafeMembers: observation.failsafeMembers,
    standbyCluster:
      config?.standbyCluster !== undefined && Object.keys(config.standbyCluster).length > 0,
    synchronousMode: synchronousModeOf(config),
    syncStandbys: syncStandbyNames(observation.syncStandby),
    leaderWalPosition: Math.max(
      observation.statusWalPosition ?? 0,
      observation.leaderMemberWalPosition ?? 0,
    ),
    maximumLagOnFailover: config?.maximumLagOnFailover ?? DEFAULT_MAXIMUM_LAG_ON_FAILOVER,
    ttlMs,
  };
}
