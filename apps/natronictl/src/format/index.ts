export {
  clusterFooter,
  leaderOf,
  memberListing,
  roleLabel,
  type ClusterDocument,
  type ClusterMember,
  type MemberListing,
} from './cluster-rows.ts';
export { historyListing, type HistoryEntry } from './history-rows.ts';
export {
  OUTPUT_FORMATS,
  pythonJson,
  pythonYaml,
  renderDocument,
  type OutputFormat,
} from './output-format.ts';
export { renderTabular, type Cell, type Tabular } from './tabular-output.ts';
export { renderTable, type TableColumn, type TextTable } from './text-table.ts';
export { unifiedDiff } from './unified-diff.ts';
export { formatEvent } from './event-line.ts';
