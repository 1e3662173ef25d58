import {
  effectiveRole,
  effectiveState,
  isQuorumStandby,
  isStatusFresh,
  isSyncStandby,
  type ClusterFacts,
  type MemberFacts,
} from './cluster-facts.ts';
import type { JsonObject, JsonValue, MemberStatus } from './proto-types.ts';

/** Patroni's `GET /patroni` document, as a JSON object in Patroni's key order. */
export type PatroniDocument = JsonObject;

function xlogOf(status: MemberStatus): JsonObject | undefined {
  const xlog = status.xlog;
  if (!xlog) return undefined;
  if (status.role === 'primary') return { location: xlog.location };
  return {
    received_location: xlog.receivedLocation,
    replayed_location: xlog.replayedLocation,
    replayed_timestamp: xlog.replayedTimestamp ?? null,
    paused: xlog.paused,
  };
}

function postgresPart(member: MemberFacts, cluster: ClusterFacts): JsonObject {
  const status = member.status;
  const state = effectiveState(member, cluster);
  const role = effectiveRole(member);
  if (!status || !isStatusFresh(member, cluster) || !status.xlog) return { state, role };
  const document: JsonObject = { state };
  if (status.postmasterStartTime !== undefined)
    document['postmaster_start_time'] = status.postmasterStartTime;
  document['role'] = role;
  if (status.serverVersion !== undefined) document['server_version'] = status.serverVersion;
  const xlog = xlogOf(status);
  if (xlog) document['xlog'] = xlog;
  if (role === 'replica' && isSyncStandby(member.name, cluster)) document['sync_standby'] = true;
  if (role === 'replica' && isQuorumStandby(member.name, cluster))
    document['quorum_standby'] = true;
  if (status.timeline !== undefined) document['timeline'] = status.timeline;
  if (status.replicationState !== undefined)
    document['replication_state'] = status.replicationState;
  if (status.replication.length > 0) {
    document['replication'] = status.replication.map((connection) => ({
      usename: connection.usename,
      application_name: connection.applicationName,
      client_addr: connection.clientAddr,
      state: connection.state,
      sync_state: connection.syncState,
      sync_priority: connection.syncPriority,
    }));
  }
  return document;
}

export function pendingRestartReasonOf(status: MemberStatus): JsonObject {
  const reasons: JsonObject = {};
  for (const [parameter, change] of Object.entries(status.pendingRestartReason)) {
    reasons[parameter] = { old_value: change.oldValue, new_value: change.newValue };
  }
  return reasons;
}

export function scheduledRestartOf(status: MemberStatus): JsonObject | undefined {
  const scheduled = status.scheduledRestart;
  if (!scheduled) return undefined;
  const document: JsonObject = { schedule: scheduled.schedule };
  if (scheduled.postmasterStartTime !== undefined)
    document['postmaster_start_time'] = scheduled.postmasterStartTime;
  if (scheduled.role !== undefined) document['role'] = scheduled.role;
  if (scheduled.postgresVersion !== undefined)
    document['postgres_version'] = scheduled.postgresVersion;
  if (scheduled.restartPending !== undefined)
    document['restart_pending'] = scheduled.restartPending;
  if (scheduled.timeout !== undefined) document['timeout'] = scheduled.timeout;
  return document;
}

/** `GET /patroni`: the member's PostgreSQL part, then what the cluster view adds. */
export function patroniDocument(member: MemberFacts, cluster: ClusterFacts): PatroniDocument {
  const document = postgresPart(member, cluster);
  const status = member.status;
  if (cluster.paused) document['pause'] = true;
  if (!cluster.viewFresh || cluster.leaderName === undefined || !cluster.leaseValid)
    document['cluster_unlocked'] = true;
  document['dcs_last_seen'] = cluster.dcsLastSeen;
  if (status) {
    if (status.tags && Object.keys(status.tags).length > 0) document['tags'] = status.tags;
    if (status.databaseSystemIdentifier !== undefined)
      document['database_system_identifier'] = status.databaseSystemIdentifier;
    if (status.pendingRestart) {
      document['pending_restart'] = true;
      document['pending_restart_reason'] = pendingRestartReasonOf(status);
    }
  }
  const patroni: { [key: string]: JsonValue } = {
    version: status?.version || '0.0.0',
    scope: cluster.scope,
    name: member.name,
  };
  document['patroni'] = patroni;
  const scheduledRestart = status && scheduledRestartOf(status);
  if (scheduledRestart) document['scheduled_restart'] = scheduledRestart;
  return document;
}
