import type { ClusterView } from '../../../../libs/dcs/src/index.ts';
import type { FailoverAction } from '../../../../libs/domain/src/index.ts';

export type OutcomeProgress =
  | { readonly done: false }
  | { readonly done: true; readonly status: 200 | 503; readonly text: string };

const WAITING: OutcomeProgress = { done: false };

function capitalised(action: FailoverAction): string {
  return action === 'switchover' ? 'Switchover' : 'Failover';
}

/**
 * Judges an immediate switchover or failover from the view: done once the leader key
 * names another member whose status says it runs as primary; failed when the `failover` key is gone
 * while the old leader still holds the key.
 */
export function switchoverProgress(
  view: ClusterView,
  action: FailoverAction,
  previousLeader: string | undefined,
  candidate: string | undefined,
): OutcomeProgress {
  const leader = view.leader?.value.member || undefined;
  if (leader !== undefined && leader !== previousLeader) {
    const status = view.members.get(leader)?.value;
    if (status?.role !== 'primary' || status.state !== 'running') return WAITING;
    const verb = action === 'switchover' ? 'switched over' : 'failed over';
    if (candidate !== undefined && candidate !== leader) {
      const text = `${action === 'switchover' ? 'Switched over' : 'Failed over'} to "${leader}" instead of "${candidate}"`;
      return { done: true, status: 200, text };
    }
    return { done: true, status: 200, text: `Successfully ${verb} to "${leader}"` };
  }
  if (!view.failover && leader === previousLeader) {
    return { done: true, status: 503, text: `${capitalised(action)} failed` };
  }
  return WAITING;
}

export function unknownOutcome(action: FailoverAction, timeoutMs: number): string {
  return `${capitalised(action)} status unknown after ${Math.round(timeoutMs / 1000)} seconds; operation may still be in progress`;
}
