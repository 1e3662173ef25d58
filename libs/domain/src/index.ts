export { assertValidName, nameError, type NameKind } from './names.ts';
export {
  holderDeadline,
  holderValidityMs,
  leaderlessSince,
  leaseMarginMs,
  msUntil,
  observerDeadline,
  renewalIntervalMs,
  takeoverDue,
  takeoverDueAt,
} from './lease-timing.ts';
export {
  confirmedDeadline,
  leaseResumeVerdict,
  restartAfterUnansweredFence,
  unansweredBoundMs,
  wokeFromStall,
  type LeaderKeyReading,
  type LeaseResumeFacts,
  type LeaseResumeVerdict,
} from './lease-continuity.ts';
export {
  isQueryableState,
  POSTGRES_STATES,
  postgresStateLabel,
  postgresStateNumber,
  postgresStateNumberOfLabel,
  UNKNOWN_STATE_LABEL,
  type PostgresStateLabel,
  type PostgresStateName,
} from './postgres-state.ts';
export { callbackRole, MEMBER_ROLES, RESTART_ROLES, type MemberRole } from './member-role.ts';
export { judgeTerm, raiseTerm, type TermVerdict } from './term-fence.ts';
export { formatLsn, parseLsn, timelineOfWalFile } from './lsn.ts';
export { parseControlData, type ControlData } from './control-data.ts';
export {
  formatSettingWithUnit,
  pendingRestartReason,
  type PendingRestartParameter,
  type PendingSettingRow,
} from './pending-restart.ts';
export {
  parsePostgresVersion,
  restartConditionsMet,
  restartRequestError,
  type RestartConditions,
  type RestartSubject,
} from './restart-conditions.ts';
export {
  planSlotUpkeep,
  slotNameForMember,
  type ExistingSlot,
  type SlotUpkeepFacts,
  type SlotUpkeepPlan,
} from './replication-slot.ts';
export * from './patroni/index.ts';
export * from './maxscale/index.ts';
export * from './routers/index.ts';
export { NATRONI_VERSION } from './natroni-version.ts';
export {
  BASEBACKUP_METHOD,
  basebackupArguments,
  canCreateReplicaWithoutLeader,
  customBootstrapCall,
  removeDataAfterRewindFailure,
  replicaMethodCall,
  replicaMethodOrder,
  type BasebackupOptions,
  type MethodCall,
  type MethodSection,
  type MethodValue,
  type ReplicaMethodCall,
  type ReplicaMethodFacts,
} from './replica-methods.ts';
export {
  ROLE_WORDS,
  statusPageDocument,
  type StatusPageDocument,
  type StatusPageInput,
  type StatusPageMember,
} from './status-page/status-page-document.ts';
export { parseConnUrl, type ConnEndpoint, type ConnTarget } from './conn-url.ts';
