export {
  clusterHaTimings,
  DEFAULT_HA_TIMINGS,
  haTimings,
  MINIMUM_LOOP_WAIT_SECONDS,
  MINIMUM_RETRY_TIMEOUT_SECONDS,
  MINIMUM_TTL_SECONDS,
  type HaTimings,
  type HaTimingsInput,
} from './ha-timings.ts';
export {
  quorumOverlaps,
  quorumStandbyNames,
  quorumTransitions,
  type QuorumFacts,
  type QuorumKey,
  type QuorumStandbyNames,
  type QuorumTransition,
} from './quorum-state.ts';
export { quorumHandover, type QuorumHandover } from './quorum-handover.ts';
export {
  leaderRaceVerdict,
  quorumVerdict,
  type LeaderRaceFacts,
  type RaceParticipant,
  type RaceVerdict,
} from './leader-race.ts';
export {
  scheduleStep,
  switchoverCandidates,
  type ScheduleStep,
  type SwitchoverFacts,
} from './switchover-plan.ts';
export {
  chooseSyncStandbys,
  confirmedSyncStandbys,
  STRICT_SYNC_PLACEHOLDER,
  synchronousStandbyNames,
  type SyncCandidate,
} from './sync-standbys.ts';
export {
  failsafeEndpointUrl,
  failsafeRaceBlock,
  failsafeRoundDueAt,
  failsafeTopology,
  sameFailsafeTopology,
} from './failsafe.ts';
export {
  leaderStep,
  runsAsPrimary,
  type LeaderFacts,
  type LeaderStep,
  type OwnPostgres,
} from './leader-step.ts';
export {
  DIVERGED_AFTER_MS,
  followerStep,
  offLeaderTimeline,
  type FollowedLeader,
  type FollowerFacts,
  type FollowerPostgres,
  type FollowerStep,
} from './follower-step.ts';
export { CYCLE_REPORT_REPEAT_MS, cycleReportDue, type CycleReport } from './cycle-report.ts';
export {
  remoteSourceName,
  remotePrimaryUrl,
  standbyClusterOf,
  type StandbyCluster,
} from './standby-cluster.ts';
export {
  replicaBootstrapStep,
  type ReplicaBootstrapFacts,
  type ReplicaBootstrapLeader,
  type ReplicaBootstrapStep,
} from './replica-bootstrap.ts';
