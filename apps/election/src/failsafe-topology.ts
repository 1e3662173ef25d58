import { create } from '@bufbuild/protobuf';
import {
  ClusterKeys,
  liveMembers,
  RevisionConflictError,
  type ClusterView,
} from '../../../libs/dcs/src/index.ts';
import { failsafeTopology, sameFailsafeTopology } from '../../../libs/domain/src/election/index.ts';
import { FailsafeTopologySchema } from '../../../libs/proto/src/index.ts';
import { timingsOf, type ElectionContext } from './election-context.ts';

/**
 * The leader's upkeep of the `failsafe` key: with failsafe mode on it names every live member that
 * advertises an api_url (those the leader must reach to stay primary without NATS); with it off the
 * key goes.
 */
export async function maintainFailsafeTopology(
  context: ElectionContext,
  view: ClusterView,
): Promise<void> {
  const current = view.failsafe;
  if (view.config?.value.failsafeMode !== true) {
    if (current)
      await context.store.delete(ClusterKeys.failsafe, current.revision).catch(ignoreConflict);
    return;
  }
  // Only live members, as in Patroni's DCS: a dead member would fail every failsafe round.
  const live = liveMembers(view, timingsOf(view, context.config).ttlMs);
  const wanted = failsafeTopology(
    live.map((name) => [name, view.members.get(name)?.value.apiUrl ?? ''] as const),
  );
  if (current && sameFailsafeTopology(current.value.members, wanted)) return;
  await context.store.put(
    ClusterKeys.failsafe,
    create(FailsafeTopologySchema, { members: wanted }),
  );
  context.logger.log({ msg: `failsafe key: ${Object.keys(wanted).join(', ')}` });
}

function ignoreConflict(error: unknown): void {
  if (!(error instanceof RevisionConflictError)) throw error;
}
