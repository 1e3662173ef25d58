import { POSTGRES_STATES, postgresStateNumberOfLabel } from '../postgres-state.ts';
import {
  effectiveRole,
  effectiveState,
  hasNoFailover,
  isQuorumStandby,
  isStatusFresh,
  isSyncStandby,
  tagsOf,
  type ClusterFacts,
  type MemberFacts,
} from './cluster-facts.ts';

export type PatroniMetricType = 'gauge' | 'counter';

export interface PatroniMetric {
  readonly name: string;
  readonly type: PatroniMetricType;
  readonly help: string;
}

const metric = (name: string, type: PatroniMetricType, help: string): PatroniMetric => ({
  name,
  type,
  help,
});

/** Patroni's `/metrics`: names, types and HELP texts in its emission order. */
export const PATRONI_METRICS: readonly PatroniMetric[] = [
  metric('patroni_version', 'gauge', 'Patroni semver without periods.'),
  metric('patroni_postgres_running', 'gauge', 'Value is 1 if Postgres is running, 0 otherwise.'),
  metric('patroni_postmaster_start_time', 'gauge', 'Epoch seconds since Postgres started.'),
  metric('patroni_primary', 'gauge', 'Value is 1 if this node is the leader, 0 otherwise.'),
  metric(
    'patroni_xlog_location',
    'counter',
    'Current location of the Postgres transaction log, 0 if this node is not the leader.',
  ),
  metric(
    'patroni_standby_leader',
    'gauge',
    'Value is 1 if this node is the standby_leader, 0 otherwise.',
  ),
  metric('patroni_replica', 'gauge', 'Value is 1 if this node is a replica, 0 otherwise.'),
  metric(
    'patroni_sync_standby',
    'gauge',
    'Value is 1 if this node is a sync standby replica, 0 otherwise.',
  ),
  metric(
    'patroni_quorum_standby',
    'gauge',
    'Value is 1 if this node is a quorum standby replica, 0 otherwise.',
  ),
  metric(
    'patroni_xlog_received_location',
    'counter',
    'Current location of the received Postgres transaction log, 0 if this node is not a replica.',
  ),
  metric(
    'patroni_xlog_replayed_location',
    'counter',
    'Current location of the replayed Postgres transaction log, 0 if this node is not a replica.',
  ),
  metric(
    'patroni_xlog_replayed_timestamp',
    'gauge',
    'Current timestamp of the replayed Postgres transaction log, 0 if null.',
  ),
  metric('patroni_xlog_paused', 'gauge', 'Value is 1 if the Postgres xlog is paused, 0 otherwise.'),
  metric(
    'patroni_postgres_streaming',
    'gauge',
    'Value is 1 if Postgres is streaming, 0 otherwise.',
  ),
  metric(
    'patroni_postgres_in_archive_recovery',
    'gauge',
    'Value is 1 if Postgres is replicating from archive, 0 otherwise.',
  ),
  metric(
    'patroni_postgres_server_version',
    'gauge',
    'Version of Postgres (if running), 0 otherwise.',
  ),
  metric(
    'patroni_cluster_unlocked',
    'gauge',
    'Value is 1 if the cluster is unlocked, 0 if locked.',
  ),
  metric(
    'patroni_failsafe_mode_is_active',
    'gauge',
    'Value is 1 if failsafe mode is active, 0 if inactive.',
  ),
  metric(
    'patroni_failsafe_mode_enabled',
    'gauge',
    'Value is 1 if failsafe mode is enabled, 0 if disabled.',
  ),
  metric(
    'patroni_failsafe_member',
    'gauge',
    'Value is 1 if this node is a member of the failsafe topology, 0 otherwise.',
  ),
  metric(
    'patroni_postgres_timeline',
    'counter',
    'Postgres timeline of this node (if running), 0 otherwise.',
  ),
  metric(
    'patroni_dcs_last_seen',
    'gauge',
    'Epoch timestamp when DCS was last contacted successfully by Patroni.',
  ),
  metric(
    'patroni_pending_restart',
    'gauge',
    'Value is 1 if the node needs a restart, 0 otherwise.',
  ),
  metric('patroni_is_paused', 'gauge', 'Value is 1 if auto failover is disabled, 0 otherwise.'),
  metric('patroni_postgres_state', 'gauge', 'Numeric representation of Postgres state.'),
  metric('patroni_failover_priority', 'gauge', 'Failover priority of this node.'),
];

/** The comment line Patroni puts between the HELP and TYPE lines of `patroni_postgres_state`. */
export const POSTGRES_STATE_VALUES_LINE = `# Values: ${POSTGRES_STATES.map(
  (state, index) => `${index}=${state.metric}`,
).join(', ')}`;

const POSTGRES_STATE_HELP_LINE =
  '# HELP patroni_postgres_state Numeric representation of Postgres state.\n';

/** Adds Patroni's `# Values:` line to a Prometheus text exposition that holds `patroni_postgres_state`. */
export function withPostgresStateValues(exposition: string): string {
  return exposition.replace(
    POSTGRES_STATE_HELP_LINE,
    (line) => `${line}${POSTGRES_STATE_VALUES_LINE}\n`,
  );
}

/** "0.1.0" → 100: each component two digits, no periods. */
export function patroniVersionNumber(version: string): number {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return Number(parts.map((part) => String(part).padStart(2, '0')).join('')) || 0;
}

/** Patroni's `"YYYY-MM-DD HH:MM:SS.ffffff+TZ"` as epoch seconds, 0 when absent or unreadable. */
export function patroniEpochSeconds(timestamp: string | undefined): number {
  if (!timestamp) return 0;
  const iso = timestamp
    .replace(' ', 'T')
    .replace(/(\.\d{3})\d*/, '$1')
    .replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms / 1000;
}

/** The value of every metric of PATRONI_METRICS for one member, as Patroni computes it from its status. */
export function patroniMetricValues(
  member: MemberFacts,
  cluster: ClusterFacts,
): Record<string, number> {
  const status = member.status;
  const fresh = isStatusFresh(member, cluster);
  const state = effectiveState(member, cluster);
  const role = effectiveRole(member);
  const xlog = fresh ? status?.xlog : undefined;
  const tags = tagsOf(status);
  const priority = typeof tags['failover_priority'] === 'number' ? tags['failover_priority'] : 1;
  const flag = (value: boolean): number => (value ? 1 : 0);
  return {
    patroni_version: patroniVersionNumber(status?.version ?? ''),
    patroni_postgres_running: flag(state === 'running'),
    patroni_postmaster_start_time: patroniEpochSeconds(
      fresh ? status?.postmasterStartTime : undefined,
    ),
    patroni_primary: flag(role === 'primary' && xlog !== undefined),
    patroni_xlog_location: role === 'primary' ? (xlog?.location ?? 0) : 0,
    patroni_standby_leader: flag(role === 'standby_leader'),
    patroni_replica: flag(role === 'replica'),
    patroni_sync_standby: flag(role === 'replica' && isSyncStandby(member.name, cluster)),
    patroni_quorum_standby: flag(role === 'replica' && isQuorumStandby(member.name, cluster)),
    patroni_xlog_received_location: role === 'primary' ? 0 : (xlog?.receivedLocation ?? 0),
    patroni_xlog_replayed_location: role === 'primary' ? 0 : (xlog?.replayedLocation ?? 0),
    patroni_xlog_replayed_timestamp: patroniEpochSeconds(xlog?.replayedTimestamp),
    patroni_xlog_paused: flag(xlog?.paused === true),
    patroni_postgres_streaming: flag(fresh && status?.replicationState === 'streaming'),
    patroni_postgres_in_archive_recovery: flag(
      fresh && status?.replicationState === 'in archive recovery',
    ),
    patroni_postgres_server_version: fresh ? (status?.serverVersion ?? 0) : 0,
    patroni_cluster_unlocked: flag(
      !cluster.viewFresh || cluster.leaderName === undefined || !cluster.leaseValid,
    ),
    // Failsafe is active only while its primary cannot reach KV, through which every reader learns a
    // member's state: no reader of the view can ever see it active.
    patroni_failsafe_mode_is_active: 0,
    patroni_failsafe_mode_enabled: flag(cluster.failsafeMode),
    patroni_failsafe_member: flag(cluster.failsafeMembers.includes(member.name)),
    patroni_postgres_timeline: fresh ? (status?.timeline ?? 0) : 0,
    patroni_dcs_last_seen: cluster.dcsLastSeen,
    patroni_pending_restart: flag(status?.pendingRestart === true),
    patroni_is_paused: flag(cluster.paused),
    patroni_postgres_state: postgresStateNumberOfLabel(state),
    patroni_failover_priority: hasNoFailover(tags) ? 0 : priority,
  };
}
