import type { ClusterView } from '../../../libs/dcs/src/index.ts';
import type { RouterInput } from '../../../libs/domain/src/index.ts';

/**
 * The routing input of a change of the `failover` key: an immediate switchover request names the
 * primary about to be demoted (the leader it names, or else the writable member); its removal may
 * give that primary back. A scheduled request waits for its `switchover_started` event.
 */
export function switchoverRequestInput(
  view: ClusterView,
  writable: string | undefined,
  requested: string | undefined,
): { input?: RouterInput; requested: string | undefined } {
  const request = view.failover?.value;
  if (request && !request.scheduledAt) {
    const leader = request.leader || writable;
    if (leader === undefined || request.member === leader) return { requested };
    return { input: { kind: 'switchover_requested', leader }, requested: leader };
  }
  if (!request && requested !== undefined) {
    return {
      input: { kind: 'switchover_request_removed', leader: requested },
      requested: undefined,
    };
  }
  return { requested };
}
