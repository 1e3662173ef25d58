/**
 * Patroni's `standby_cluster` section of the dynamic configuration: when it names a remote primary or
 * an archive, the lease holder is a standby leader that replicates from it instead of promoting, and
 * the other members cascade from the standby leader.
 */
export interface StandbyCluster {
  /**
   * The remote hosts, in order: Patroni's `host` may list several, comma-separated, when the source
   * cluster offers no single address of its primary. Empty when the section names none.
   */
  readonly hosts: readonly string[];
  /** The port of every host, as libpq applies one port to all of them. */
  readonly port: number;
  /** The slot on the remote primary to stream from; none when the section names none. */
  readonly primarySlotName: string | undefined;
  readonly restoreCommand: string | undefined;
  /** PostgreSQL's `archive_cleanup_command`, on every member, as restore_command. */
  readonly archiveCleanupCommand: string | undefined;
  /** PostgreSQL's `recovery_min_apply_delay`, applied on the standby leader. */
  readonly recoveryMinApplyDelay: string | undefined;
  /**
   * How members of the standby cluster create their data directory, in order (sections of
   * `postgresql`, as `postgresql.create_replica_methods`); empty means basebackup alone.
   */
  readonly createReplicaMethods: readonly string[];
}

const DEFAULT_PORT = 5432;

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function names(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).filter(
    (name): name is string => typeof name === 'string' && name !== '',
  );
}

/**
 * The standby cluster a `standby_cluster` section describes, or undefined when the cluster is not a
 * standby cluster. As Patroni's `is_standby_cluster`, the section makes one when it sets `host`,
 * `port` or `restore_command`; without a host there is nothing to stream from and the standby leader
 * replays the archive alone.
 */
export function standbyClusterOf(
  section: Readonly<Record<string, unknown>> | undefined,
): StandbyCluster | undefined {
  if (section === undefined) return undefined;
  const host = text(section['host']);
  const restoreCommand = text(section['restore_command']);
  const givenPort = section['port'];
  const portSet = givenPort !== undefined && givenPort !== null && givenPort !== 0;
  if (host === undefined && restoreCommand === undefined && !portSet) return undefined;
  const port = Number(givenPort ?? DEFAULT_PORT);
  return {
    hosts: (host ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    port: Number.isInteger(port) && port > 0 ? port : DEFAULT_PORT,
    primarySlotName: text(section['primary_slot_name']),
    restoreCommand,
    archiveCleanupCommand: text(section['archive_cleanup_command']),
    recoveryMinApplyDelay: text(section['recovery_min_apply_delay']),
    createReplicaMethods: names(section['create_replica_methods']),
  };
}

function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The libpq URL of the remote primary a standby leader streams from and copies its data from, or
 * undefined when the section names no host. With several hosts libpq tries each in turn, and
 * `target_session_attrs=read-write` (as Patroni adds it) keeps the one that is the primary.
 */
export function remotePrimaryUrl(standby: StandbyCluster): string | undefined {
  if (standby.hosts.length === 0) return undefined;
  const hosts = standby.hosts.map((host) => authority(host, standby.port)).join(',');
  const attributes = standby.hosts.length > 1 ? '?target_session_attrs=read-write' : '';
  return `postgres://${hosts}/postgres${attributes}`;
}

/** Where the standby leader replicates from, for sentences and logs. */
export function remoteSourceName(standby: StandbyCluster): string {
  const hosts = standby.hosts.map((host) => authority(host, standby.port));
  if (hosts.length === 1) return `remote primary ${hosts[0]}`;
  if (hosts.length > 1) return `remote primary among ${hosts.join(', ')}`;
  return 'the archive through restore_command';
}
