import { ClusterKeys } from './cluster-keys.ts';
import { decodeEntry, type ClusterStore } from './cluster-store.ts';
import { RevisionConflictError } from './dcs-errors.ts';

/** A renewal may land between the read and the delete; a few reads settle it. */
const ATTEMPTS = 3;

/**
 * Deletes the `leader` key while it names `member` with `term`: what a node does once its PostgreSQL
 * can no longer act as primary (fenced, or stopped with its agent), so that the replicas race at once
 * instead of waiting out the ttl. Returns whether it deleted the key.
 */
export async function releaseLeaseOf(
  store: ClusterStore,
  member: string,
  term: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const entry = await store.entry(ClusterKeys.leader);
    if (!entry || entry.operation !== 'PUT') return false;
    let record;
    try {
      record = decodeEntry(ClusterKeys.leader, entry).value;
    } catch {
      return false;
    }
    if (record.member !== member || record.term !== term) return false;
    try {
      await store.deleteLeaving(ClusterKeys.leader, record, entry.revision);
      return true;
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) throw error;
    }
  }
  return false;
}
