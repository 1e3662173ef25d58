/**
 * Patroni's `standby_cluster` section of the dynamic configuration: when it names a remote primary,
 * the lease holder is a standby leader that streams from it instead of promoting, and the other
 * members cascade from the standby leader.
 */
export interface StandbyCluster {
  readonly host: string;
  readonly port: number;
  /** The slot on the remote primary to stream from; none when the section names none. */
  readonly primarySlotName: string | undefined;
  readonly restoreCommand: string | undefined;
  /** PostgreSQL's `recovery_min_apply_delay`, applied on the standby leader. */
  readonly recoveryMinApplyDelay: string | undefined;
}

const DEFAULT_PORT = 5432;

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * The standby cluster a `standby_cluster` section describes, or undefined when the cluster is not a
 * standby cluster (no section, an empty one, or one without a `host` to stream from).
 */
export function standbyClusterOf(
  section: Readonly<Record<string, unknown>> | undefined,
): StandbyCluster | undefined {
  const host = text(section?.['host']);
  if (section === undefined || host === undefined) return undefined;
  const port = Number(section['port'] ?? DEFAULT_PORT);
  return {
    host,
    port: Number.isInteger(port) && port > 0 ? port : DEFAULT_PORT,
    primarySlotName: text(section['primary_slot_name']),
    restoreCommand: text(section['restore_command']),
    recoveryMinApplyDelay: text(section['recovery_min_apply_delay']),
  };
}

/** The libpq URL of the remote primary a standby leader streams from and copies its data from. */
export function remotePrimaryUrl(standby: StandbyCluster): string {
  const host = standby.host.includes(':') ? `[${standby.host}]` : standby.host;
  return `postgres://${host}:${standby.port}/postgres`;
}

/** `host:port` of the remote primary, for sentences and logs. */
export function remotePrimaryName(standby: StandbyCluster): string {
  return `${standby.host}:${standby.port}`;
}
