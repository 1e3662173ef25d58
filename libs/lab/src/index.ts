export {
  FAULT_KINDS,
  FAULT_KIND_INFO,
  faultSchedule,
  seededRandom,
  isFaultKind,
  type FaultKind,
  type ScheduledFault,
} from './fault-schedule.ts';
export {
  checkLab,
  longestWriteGapMs,
  splitBrainEpisodes,
  stalePrimaryEpisodes,
  type Anomaly,
  type FaultKindRow,
  type LabVerdict,
} from './lab-checker.ts';
export {
  labUnavailableReason,
  LabNetwork,
  netemUnavailableReason,
  sweepDeadLabNetworks,
} from './lab-network.ts';
export { LAB_USAGE, LabOptionsError, parseLabOptions, type LabOptions } from './lab-options.ts';
export type { AcknowledgedWrite, FaultRecord, LabRecords, WriterAck } from './lab-records.ts';
export { resultsDocument, resultsTable } from './lab-report.ts';
export { runLab, type LabRunResult } from './lab-run.ts';
