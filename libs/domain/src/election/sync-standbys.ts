/**
 * Synchronous replication as Patroni manages it (docs/ha.md): the primary picks its
 * synchronous standbys among healthy streaming replicas, names them in `synchronous_standby_names`, and
 * publishes in the `sync` key only those PostgreSQL already treats as synchronous — so that every
 * member the `sync` key names holds every acknowledged transaction.
 */
export interface SyncCandidate {
  readonly name: string;
  /** Streams from the primary now (pg_stat_replication state `streaming`). */
  readonly streaming: boolean;
  /** pg_stat_replication's sync_state for this standby: `sync`, `quorum`, `potential`, `async`. */
  readonly syncState: string | undefined;
  readonly walPosition: number;
  /** The `nosync` tag, or `sync_priority <= 0`. */
  readonly noSync: boolean;
  readonly syncPriority: number;
}

/** Up to `count` standbys: higher sync_priority first, then those already synchronous, then the most advanced. */
export function chooseSyncStandbys(candidates: readonly SyncCandidate[], count: number): string[] {
  return candidates
    .filter((candidate) => candidate.streaming && !candidate.noSync)
    .sort(
      (a, b) =>
        b.syncPriority - a.syncPriority ||
        Number(b.syncState === 'sync') - Number(a.syncState === 'sync') ||
        b.walPosition - a.walPosition,
    )
    .slice(0, Math.max(1, count))
    .map((candidate) => candidate.name)
    .sort();
}

/** With synchronous_mode_strict and no standby, commits wait on a name no standby has. */
export const STRICT_SYNC_PLACEHOLDER = '__natroni_strict_sync_replica_placeholder__';

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The value of `synchronous_standby_names` for these standbys (empty: commits do not wait). */
export function synchronousStandbyNames(
  names: readonly string[],
  count: number,
  strict: boolean,
): string {
  const listed = names.length > 0 ? [...names].sort() : strict ? [STRICT_SYNC_PLACEHOLDER] : [];
  if (listed.length === 0) return '';
  if (listed.length === 1) return quoted(listed[0]);
  return `${Math.min(Math.max(1, count), listed.length)} (${listed.map(quoted).join(',')})`;
}

/** The standbys PostgreSQL reports as synchronous, among those it was asked to wait for. */
export function confirmedSyncStandbys(
  wanted: readonly string[],
  candidates: readonly SyncCandidate[],
): string[] {
  return wanted.filter((name) =>
    candidates.some((candidate) => candidate.name === name && candidate.syncState === 'sync'),
  );
}
