import type { History, JsonValue } from './proto-types.ts';
import { patroniTimestamp } from './schedule.ts';

/** Patroni's `/history`: `[timeline, switch_lsn, reason, timestamp, new_leader]` per switch; no new_leader → 4 items. */
export function historyDocument(history: History | undefined): JsonValue[] {
  if (!history) return [];
  return history.entries.map((entry) => {
    const row: JsonValue[] = [
      entry.timeline,
      entry.switchLsn,
      entry.reason,
      patroniTimestamp(entry.timestamp),
    ];
    if (entry.newLeader !== '') row.push(entry.newLeader);
    return row;
  });
}
