import { Counter, Gauge, Registry } from 'prom-client';
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
} from '../../../../libs/domain/src/index.ts';

const POSTGRES_STATES = [
  'initializing new cluster',
  'initdb failed',
  'running custom bootstrap script',
  'custom bootstrap failed',
  'creating replica',
  'running',
  'starting',
  'starting after custom bootstrap',
  'start failed',
  'restarting',
  'restart failed',
  'stopping',
  'stopped',
  'stop failed',
  'crashed',
];

const STATE_VALUES =
  '# Values: 0=initdb, 1=initdb_failed, 2=custom_bootstrap, 3=custom_bootstrap_failed, 4=creating_replica, 5=running, 6=starting, 7=bootstrap_starting, 8=start_failed, 9=restarting, 10=restart_failed, 11=stopping, 12=stopped, 13=stop_failed, 14=crashed';

type MetricType = 'gauge' | 'counter';

/** Patroni's `/metrics` (§2.7): names, HELP texts and types in its emission order. */
const METRICS: ReadonlyArray<readonly [string, MetricType, string]> = [
  ['patroni_version', 'gauge', 'Patroni semver without periods.'],
  ['patroni_postgres_running', 'gauge', 'Value is 1 if Postgres is running, 0 otherwise.'],
  ['patroni_postmaster_start_time', 'gauge', 'Epoch seconds since Postgres started.'],
  ['patroni_primary', 'gauge', 'Value is 1 if this node is the leader, 0 otherwise.'],
  [
    'patroni_xlog_location',
    'counter',
    'Current location of the Postgres transaction log, 0 if this node is not the leader.',
  ],
  [
    'patroni_standby_leader',
    'gauge',
    'Value is 1 if this node is the standby_leader, 0 otherwise.',
  ],
  ['patroni_replica', 'gauge', 'Value is 1 if this node is a replica, 0 otherwise.'],
  [
    'patroni_sync_standby',
    'gauge',
    'Value is 1 if this node is a sync standby replica, 0 otherwise.',
  ],
  [
    'patroni_quorum_standby',
    'gauge',
    'Value is 1 if this node is a quorum standby replica, 0 otherwise.',
  ],
  [
    'patroni_xlog_received_location',
    'counter',
    'Current location of the received Postgres transaction log, 0 if this node is not a replica.',
  ],
  [
    'patroni_xlog_replayed_location',
    'counter',
    'Current location of the replayed Postgres transaction log, 0 if this node is not a replica.',
  ],
  [
    'patroni_xlog_replayed_timestamp',
    'gauge',
    'Current timestamp of the replayed Postgres transaction log, 0 if null.',
  ],
  ['patroni_xlog_paused', 'gauge', 'Value is 1 if the Postgres xlog is paused, 0 otherwise.'],
  ['patroni_postgres_streaming', 'gauge', 'Value is 1 if Postgres is streaming, 0 otherwise.'],
  [
    'patroni_postgres_in_archive_recovery',
    'gauge',
    'Value is 1 if Postgres is replicating from archive, 0 otherwise.',
  ],
  ['patroni_postgres_server_version', 'gauge', 'Version of Postgres (if running), 0 otherwise.'],
  ['patroni_cluster_unlocked', 'gauge', 'Value is 1 if the cluster is unlocked, 0 if locked.'],
  [
    'patroni_failsafe_mode_is_active',
    'gauge',
    'Value is 1 if failsafe mode is active, 0 if inactive.',
  ],
  [
    'patroni_postgres_timeline',
    'counter',
    'Postgres timeline of this node (if running), 0 otherwise.',
  ],
  [
    'patroni_dcs_last_seen',
    'gauge',
    'Epoch timestamp when DCS was last contacted successfully by Patroni.',
  ],
  ['patroni_pending_restart', 'gauge', 'Value is 1 if the node needs a restart, 0 otherwise.'],
  ['patroni_is_paused', 'gauge', 'Value is 1 if auto failover is disabled, 0 otherwise.'],
  ['patroni_postgres_state', 'gauge', 'Numeric representation of Postgres state.'],
  ['patroni_failover_priority', 'gauge', 'Failover priority of this node.'],
];

/** "0.1.0" → 100: each component two digits, no periods. */
function versionNumber(version: string): number {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return Number(parts.map((part) => String(part).padStart(2, '0')).join('')) || 0;
}

/** Patroni's `"YYYY-MM-DD HH:MM:SS.ffffff+TZ"` as epoch seconds, 0 when absent or unreadable. */
function epochSeconds(timestamp: string | undefined): number {
  if (!timestamp) return 0;
  const iso = timestamp
    .replace(' ', 'T')
    .replace(/(\.\d{3})\d*/, '$1')
    .replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms / 1000;
}

function metricValues(member: MemberFacts, cluster: ClusterFacts): Record<string, number> {
  const status = member.status;
  const fresh = isStatusFresh(member, cluster);
  const state = effectiveState(member, cluster);
  const role = effectiveRole(member);
  const xlog = fresh ? status?.xlog : undefined;
  const tags = tagsOf(status);
  const priority = typeof tags['failover_priority'] === 'number' ? tags['failover_priority'] : 1;
  const flag = (value: boolean): number => (value ? 1 : 0);
  return {
    patroni_version: versionNumber(status?.version ?? ''),
    patroni_postgres_running: flag(state === 'running'),
    patroni_postmaster_start_time: epochSeconds(fresh ? status?.postmasterStartTime : undefined),
    patroni_primary: flag(role === 'primary' && xlog !== undefined),
    patroni_xlog_location: role === 'primary' ? (xlog?.location ?? 0) : 0,
    patroni_standby_leader: flag(role === 'standby_leader'),
    patroni_replica: flag(role === 'replica'),
    patroni_sync_standby: flag(role === 'replica' && isSyncStandby(member.name, cluster)),
    patroni_quorum_standby: flag(role === 'replica' && isQuorumStandby(member.name, cluster)),
    patroni_xlog_received_location: role === 'primary' ? 0 : (xlog?.receivedLocation ?? 0),
    patroni_xlog_replayed_location: role === 'primary' ? 0 : (xlog?.replayedLocation ?? 0),
    patroni_xlog_replayed_timestamp: epochSeconds(xlog?.replayedTimestamp),
    patroni_xlog_paused: flag(xlog?.paused === true),
    patroni_postgres_streaming: flag(fresh && status?.replicationState === 'streaming'),
    patroni_postgres_in_archive_recovery: flag(
      fresh && status?.replicationState === 'in archive recovery',
    ),
    patroni_postgres_server_version: fresh ? (status?.serverVersion ?? 0) : 0,
    patroni_cluster_unlocked: flag(
      !cluster.viewFresh || cluster.leaderName === undefined || !cluster.leaseValid,
    ),
    patroni_failsafe_mode_is_active: 0,
    patroni_postgres_timeline: fresh ? (status?.timeline ?? 0) : 0,
    patroni_dcs_last_seen: cluster.dcsLastSeen,
    patroni_pending_restart: flag(status?.pendingRestart === true),
    patroni_is_paused: flag(cluster.paused),
    patroni_postgres_state: POSTGRES_STATES.indexOf(state),
    patroni_failover_priority: hasNoFailover(tags) ? 0 : priority,
  };
}

/** One prom-client registry per member, labelled `{scope, name}` as Patroni labels its samples. */
export class PatroniMetrics {
  private readonly registry = new Registry();
  private readonly gauges = new Map<string, Gauge>();
  private readonly counters = new Map<string, Counter>();

  constructor(scope: string, member: string) {
    this.registry.setDefaultLabels({ scope, name: member });
    for (const [name, type, help] of METRICS) {
      if (type === 'counter')
        this.counters.set(name, new Counter({ name, help, registers: [this.registry] }));
      else this.gauges.set(name, new Gauge({ name, help, registers: [this.registry] }));
    }
  }

  async render(member: MemberFacts, cluster: ClusterFacts): Promise<string> {
    for (const [name, value] of Object.entries(metricValues(member, cluster))) {
      const counter = this.counters.get(name);
      if (counter) {
        counter.reset();
        counter.inc(Math.max(0, value));
      } else this.gauges.get(name)?.set(value);
    }
    const text = await this.registry.metrics();
    return text.replace(
      '# HELP patroni_postgres_state Numeric representation of Postgres state.\n',
      (line) => `${line}${STATE_VALUES}\n`,
    );
  }
}
