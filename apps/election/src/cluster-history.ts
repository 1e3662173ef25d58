import { create } from '@bufbuild/protobuf';
import { ClusterKeys } from '../../../libs/dcs/src/index.ts';
import { isoUtc } from '../../../libs/domain/src/index.ts';
import {
  HistoryEntrySchema,
  HistorySchema,
  type HistoryEntry,
} from '../../../libs/proto/src/index.ts';
import type { ElectionContext } from './election-context.ts';

/** What PostgreSQL writes into the timeline history file when a standby is promoted. */
const PROMOTION_REASON = 'no recovery target specified';

/**
 * Appends the timeline this member's promotion ended to the `history` key, as Patroni's /history shows
 * it: the old timeline, the position where the new one starts, the reason, when, and the new leader.
 */
export async function recordPromotion(
  context: ElectionContext,
  endedTimeline: number,
  switchWalPosition: number,
): Promise<void> {
  const current = await context.store.get(ClusterKeys.history);
  const entries: HistoryEntry[] = [...(current?.value.entries ?? [])];
  if (entries.some((entry) => entry.timeline === endedTimeline)) return;
  entries.push(
    create(HistoryEntrySchema, {
      timeline: endedTimeline,
      switchLsn: switchWalPosition,
      reason: PROMOTION_REASON,
      timestamp: isoUtc(Date.now()),
      newLeader: context.member,
    }),
  );
  await context.store.put(ClusterKeys.history, create(HistorySchema, { entries }));
}
