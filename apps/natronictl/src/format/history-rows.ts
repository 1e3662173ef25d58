import type { TextTable } from './text-table.ts';

/** One entry of `GET /history`: [timeline, switch_lsn, reason, timestamp, new_leader?]. */
export type HistoryEntry = readonly (string | number)[];

export type HistoryRow = Record<string, string | number>;

/** `natronictl history` rows, keyed like patronictl's `history -f json`. */
export function historyRows(history: readonly HistoryEntry[]): HistoryRow[] {
  return history.map(([timeline, lsn, reason, timestamp, newLeader]) => ({
    TL: timeline ?? '',
    LSN: lsn ?? '',
    Reason: reason ?? '',
    Timestamp: timestamp ?? '',
    'New Leader': newLeader ?? '',
  }));
}

export function historyTable(rows: readonly HistoryRow[]): TextTable {
  const headers = ['TL', 'LSN', 'Reason', 'Timestamp', 'New Leader'];
  return {
    columns: headers.map((header) => ({
      header,
      align: header === 'TL' || header === 'LSN' ? 'right' : 'left',
    })),
    rows: rows.map((item) => headers.map((header) => String(item[header] ?? ''))),
  };
}
