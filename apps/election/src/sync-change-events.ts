import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import type { ClusterView, LeaseHold } from '../../../libs/dcs/src/index.ts';
import type { SyncState } from '../../../libs/proto/src/index.ts';
import { announce, type ElectionContext } from './election-context.ts';

/**
 * The leader announces each change of the `sync` key, whoever wrote it, with the key before and
 * after: who may take over without losing an acknowledged commit is what an operator watches in
 * synchronous and quorum modes. A new leader starts from the key it finds, without announcing it.
 */
@Injectable()
export class SyncChangeEvents {
  private last: { revision: number | undefined; value: SyncState | undefined } | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  async observe(view: ClusterView, hold: LeaseHold): Promise<void> {
    const revision = view.sync?.revision;
    const before = this.last;
    if (before && before.revision === revision) return;
    this.last = { revision, value: view.sync?.value };
    if (!before) return;
    const describe = (state: SyncState | undefined): string =>
      state
        ? `${state.syncStandby ?? 'none'}${state.quorum === undefined ? '' : ` (quorum ${state.quorum})`}`
        : 'no key';
    this.context.logger.log({
      msg: `sync key changed: ${describe(before.value)} → ${describe(view.sync?.value)}`,
      term: hold.term,
    });
    await announce(this.context, {
      member: this.context.member,
      term: hold.term,
      detail: {
        case: 'syncChanged',
        value: { previous: before.value, current: view.sync?.value },
      },
    });
  }
}
