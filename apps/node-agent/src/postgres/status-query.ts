import type pg from 'pg';
import {
  CLIENT_SESSION_CONDITION,
  parseLsn,
  pendingRestartReason,
  type PendingRestartParameter,
} from '../../../../libs/domain/src/index.ts';

const TIMESTAMP_FORMAT = `'YYYY-MM-DD HH24:MI:SS.US'`;

/**
 * Everything the member status needs from PostgreSQL in one statement, as Patroni's `/patroni` query
 * does (`get_postgresql_status`). Functions that fail during recovery sit behind CASE. A value
 * waiting for a restart shows in pg_file_settings with the error "setting could not be applied".
 */
const STATUS_SQL = `
SELECT
  pg_is_in_recovery() AS in_recovery,
  current_setting('server_version_num')::int AS server_version,
  to_char(pg_postmaster_start_time() AT TIME ZONE 'UTC', ${TIMESTAMP_FORMAT}) || '+00:00'
    AS postmaster_start_time,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_flush_lsn()::text END AS flush_lsn,
  CASE WHEN pg_is_in_recovery() THEN NULL
    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_flush_lsn()), 1, 8))::bit(32)::int END
    AS primary_timeline,
  pg_last_wal_receive_lsn()::text AS receive_lsn,
  pg_last_wal_replay_lsn()::text AS replay_lsn,
  to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', ${TIMESTAMP_FORMAT}) || '+00:00'
    AS replayed_timestamp,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
  (SELECT json_build_object('status', status, 'written_lsn', written_lsn::text, 'tli', received_tli)
     FROM pg_stat_wal_receiver LIMIT 1) AS wal_receiver,
  (SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_timeline,
  current_setting('restore_command') <> '' AS has_restore_command,
  (SELECT coalesce(json_agg(json_build_object(
      'usename', usename, 'application_name', application_name,
      'client_addr', coalesce(host(client_addr), ''), 'state', state,
      'sync_state', sync_state, 'sync_priority', sync_priority) ORDER BY application_name), '[]')
     FROM pg_stat_replication) AS replication,
  (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
  (SELECT count(*) FROM pg_stat_activity WHERE ${CLIENT_SESSION_CONDITION})::int AS connections,
  (SELECT count(*) FROM pg_stat_activity
     WHERE ${CLIENT_SESSION_CONDITION} AND state = 'active')::int AS active_operations,
  (SELECT coalesce(sum(sessions), 0) FROM pg_stat_database)::float8 AS total_connections,
  (SELECT coalesce(json_agg(json_build_object(
      'name', s.name, 'running', s.setting, 'unit', s.unit, 'configured',
      (SELECT f.setting FROM pg_file_settings f WHERE f.name = s.name
          AND (f.error IS NULL OR f.error = 'setting could not be applied')
        ORDER BY f.seqno DESC LIMIT 1))), '[]')
     FROM pg_settings s
     WHERE s.pending_restart) AS pending_restart
`;

interface StatusRow {
  in_recovery: boolean;
  server_version: number;
  postmaster_start_time: string;
  flush_lsn: string | null;
  primary_timeline: number | null;
  receive_lsn: string | null;
  replay_lsn: string | null;
  replayed_timestamp: string | null;
  paused: boolean;
  wal_receiver: { status: string; written_lsn: string | null; tli: number | null } | null;
  checkpoint_timeline: number;
  has_restore_command: boolean;
  replication: ReplicationRow[];
  system_identifier: string;
  connections: number;
  active_operations: number;
  total_connections: number;
  pending_restart: {
    name: string;
    running: string;
    unit: string | null;
    configured: string | null;
  }[];
}

export interface ReplicationRow {
  usename: string;
  application_name: string;
  client_addr: string;
  state: string;
  sync_state: string;
  sync_priority: number;
}

/** What one status query learnt about PostgreSQL. */
export interface PostgresSnapshot {
  readonly inRecovery: boolean;
  readonly serverVersion: number;
  readonly postmasterStartTime: string;
  readonly timeline: number | undefined;
  /** Primary: WAL flush position. */
  readonly flushedWalPosition: number | undefined;
  readonly receivedWalPosition: number | undefined;
  readonly replayedWalPosition: number | undefined;
  readonly replayedTimestamp: string | undefined;
  readonly paused: boolean;
  readonly replicationState: 'streaming' | 'in archive recovery' | undefined;
  readonly replication: readonly ReplicationRow[];
  readonly systemIdentifier: string;
  readonly connections: number;
  readonly activeOperations: number;
  readonly totalConnections: number;
  readonly pendingRestartReason: Record<string, PendingRestartParameter>;
}

function walPositionOrUndefined(text: string | null | undefined): number | undefined {
  return text ? parseLsn(text) : undefined;
}

export async function queryPostgresSnapshot(pool: pg.Pool): Promise<PostgresSnapshot> {
  const { rows } = await pool.query<StatusRow>(STATUS_SQL);
  const row = rows[0];
  const receiver = row.wal_receiver;
  const streaming = receiver?.status === 'streaming';
  const replayedWalPosition = walPositionOrUndefined(row.replay_lsn);
  let replicationState: PostgresSnapshot['replicationState'];
  if (row.in_recovery && streaming) replicationState = 'streaming';
  else if (row.in_recovery && row.has_restore_command) replicationState = 'in archive recovery';
  return {
    inRecovery: row.in_recovery,
    serverVersion: row.server_version,
    postmasterStartTime: row.postmaster_start_time,
    timeline: row.in_recovery
      ? (receiver?.tli ?? row.checkpoint_timeline)
      : (row.primary_timeline ?? undefined),
    flushedWalPosition: walPositionOrUndefined(row.flush_lsn),
    receivedWalPosition:
      walPositionOrUndefined(receiver?.written_lsn) ??
      walPositionOrUndefined(row.receive_lsn) ??
      replayedWalPosition,
    replayedWalPosition,
    replayedTimestamp: row.replayed_timestamp ?? undefined,
    paused: row.paused,
    replicationState,
    replication: row.replication,
    systemIdentifier: row.system_identifier,
    connections: row.connections,
    activeOperations: row.active_operations,
    totalConnections: row.total_connections,
    pendingRestartReason: pendingRestartReason(row.pending_restart),
  };
}
