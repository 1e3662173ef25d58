import type { Tabular } from './tabular-output.ts';

/** One entry of `GET /history`: [timeline, switch_lsn, reason, timestamp, new_leader?]. */
export type HistoryEntry = readonly (string | number)[];

const COLUMNS = ['TL', 'LSN', 'Reason', 'Timestamp', 'New Leader'];

/** patronictl's `history`: one row per timeline switch, a missing new leader left empty. */
export function historyListing(history: readonly HistoryEntry[]): Tabular {
  return {
    columns: COLUMNS,
    rows: history.map((entry) => COLUMNS.map((_, index) => entry[index] ?? '')),
    rightAligned: new Set(['TL', 'LSN']),
  };
}
