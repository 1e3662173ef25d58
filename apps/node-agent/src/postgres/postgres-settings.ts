import { parseConnUrl } from '../../../../libs/domain/src/index.ts';
import type { MemberConfig, ParameterValue } from '../../../../libs/member-config/src/index.ts';

/** What makes a member a replica: the upstream it streams from, or the archive it replays. */
export interface UpstreamSettings {
  /**
   * libpq URL of the upstream member (its conn_url), e.g. postgres://127.0.0.1:5433/postgres; none for
   * the standby leader of a standby cluster fed by restore_command alone.
   */
  readonly connUrl: string | undefined;
  /** Physical slot on the upstream, when use_slots is on (or standby_cluster names one). */
  readonly slotName?: string;
  /** A standby cluster's remote primary, where natroni never creates a slot. */
  readonly remote?: boolean;
  /** standby_cluster's `restore_command`, for every member of a standby cluster. */
  readonly restoreCommand?: string;
  /** standby_cluster's `archive_cleanup_command`, for every member of a standby cluster. */
  readonly archiveCleanupCommand?: string;
  /** standby_cluster's `recovery_min_apply_delay`, for the standby leader. */
  readonly recoveryMinApplyDelay?: string;
}

/** Settings natroni needs for replication and rewind; the configuration may raise but not drop them. */
const REQUIRED_PARAMETERS: Readonly<Record<string, ParameterValue>> = {
  wal_level: 'replica',
  hot_standby: 'on',
  // pg_rewind needs hint bits in WAL unless the cluster has data checksums.
  wal_log_hints: 'on',
  max_wal_senders: 10,
  max_replication_slots: 10,
  wal_keep_size: '128MB',
};

export function splitHostPort(address: string, what: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  const port = Number(address.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`invalid ${what} ${JSON.stringify(address)}: expected host:port`);
  }
  return { host: address.slice(0, separator), port };
}

/**
 * A libpq keyword/value connection string for `primary_conninfo`, pg_basebackup or pg_rewind's source.
 * A URL with several hosts gives libpq all of them, each with its port, and keeps the URL's
 * `target_session_attrs`.
 */
export function conninfo(
  connUrl: string,
  user: { username: string; password?: string },
  applicationName?: string,
): string {
  const target = parseConnUrl(connUrl);
  const pairs: [string, string][] = [
    ['host', target.endpoints.map((endpoint) => endpoint.host).join(',')],
    ['port', target.endpoints.map((endpoint) => endpoint.port).join(',')],
    ['user', user.username],
  ];
  if (user.password !== undefined) pairs.push(['password', user.password]);
  if (applicationName !== undefined) pairs.push(['application_name', applicationName]);
  if (target.dbname !== '') pairs.push(['dbname', target.dbname]);
  const sessionAttributes = target.parameters['target_session_attrs'];
  if (sessionAttributes !== undefined) pairs.push(['target_session_attrs', sessionAttributes]);
  return pairs.map(([key, value]) => `${key}=${quoteConninfoValue(value)}`).join(' ');
}

function quoteConninfoValue(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * The parameters of the managed postgresql.conf: natroni's required ones, then the cluster's dynamic
 * `postgresql.parameters`, then the member's own, then where to listen, then the recovery settings.
 */
export function postgresParameters(
  config: MemberConfig,
  dynamicParameters: Readonly<Record<string, ParameterValue>>,
  upstream: UpstreamSettings | undefined,
): Map<string, ParameterValue> {
  const { host, port } = splitHostPort(config.postgresql.listen, 'postgresql.listen');
  const parameters = new Map<string, ParameterValue>([
    ...Object.entries(REQUIRED_PARAMETERS),
    ...Object.entries(dynamicParameters),
    ...Object.entries(config.postgresql.parameters),
    ['listen_addresses', host],
    ['port', port],
    // Not the data directory itself, where pg_rewind would try to copy the socket file and fail;
    // /tmp is writable by the unprivileged PostgreSQL user whoever owns the data directory's parent.
    ['unix_socket_directories', config.postgresql.unix_socket_directory ?? '/tmp'],
    ['cluster_name', config.scope],
  ]);
  if (upstream) {
    const replication = config.postgresql.authentication.replication;
    if (upstream.connUrl !== undefined) {
      parameters.set('primary_conninfo', conninfo(upstream.connUrl, replication, config.name));
      if (upstream.slotName !== undefined) parameters.set('primary_slot_name', upstream.slotName);
    }
    if (upstream.restoreCommand !== undefined)
      parameters.set('restore_command', upstream.restoreCommand);
    if (upstream.archiveCleanupCommand !== undefined)
      parameters.set('archive_cleanup_command', upstream.archiveCleanupCommand);
    if (upstream.recoveryMinApplyDelay !== undefined)
      parameters.set('recovery_min_apply_delay', upstream.recoveryMinApplyDelay);
    parameters.set('recovery_target_timeline', 'latest');
  }
  return parameters;
}

export function formatParameterValue(value: ParameterValue): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return `'${value.replaceAll("'", "''")}'`;
}
