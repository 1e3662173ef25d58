export {
  ClusterKeys,
  clusterBucketName,
  electionKey,
  ELECTION_KEY_PREFIX,
  memberKey,
  MEMBER_KEY_PREFIX,
  SERVER_KEY_PREFIX,
  SERVER_STATE_KEY_PREFIX,
  serverKey,
  serverStateKey,
  type ClusterKey,
} from './cluster-keys.ts';
export { ClusterStore, type ClusterStoreOptions, type Versioned } from './cluster-store.ts';
export { applyEntry, EMPTY_CLUSTER_VIEW, liveMembers, type ClusterView } from './cluster-view.ts';
export { ClusterWatch, type ClusterViewListener } from './cluster-watch.ts';
export { MalformedValueError, RevisionConflictError } from './dcs-errors.ts';
export { retryWithin } from './dcs-retry.ts';
export {
  LeaderLease,
  type AcquireResult,
  type LeaderLeaseOptions,
  type LeaseHold,
  type LeaseObservation,
  type RenewResult,
} from './leader-lease.ts';
export { TimedClusterView } from './timed-cluster-view.ts';
export { releaseLeaseOf } from './lease-release.ts';
