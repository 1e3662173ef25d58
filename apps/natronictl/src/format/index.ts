export {
  clusterFooter,
  leaderOf,
  listRows,
  memberTable,
  roleLabel,
  topologyRows,
  type ClusterDocument,
  type ClusterMember,
  type MemberRow,
} from './cluster-rows.ts';
export { historyRows, historyTable, type HistoryEntry, type HistoryRow } from './history-rows.ts';
export { OUTPUT_FORMATS, renderDocument, type OutputFormat } from './output-format.ts';
export { renderTable, type TableColumn, type TextTable } from './text-table.ts';
export { formatEvent } from './event-line.ts';
