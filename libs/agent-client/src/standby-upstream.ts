import type { MessageInitShape } from '@bufbuild/protobuf';
import type { StandbyCluster } from '../../domain/src/election/index.ts';
import type { StandbyUpstreamSchema } from '../../proto/src/index.ts';

/**
 * What the agent is told about a standby cluster's upstream: the remote primary, or a member to cascade
 * from. As Patroni, every member of a standby cluster creates its data directory with standby_cluster's
 * create_replica_methods, the standby leader from the remote and the others from the standby leader.
 */
export function standbyUpstream(
  standby: StandbyCluster,
  remote: boolean,
): MessageInitShape<typeof StandbyUpstreamSchema> {
  return {
    remote,
    restoreCommand: standby.restoreCommand ?? '',
    archiveCleanupCommand: standby.archiveCleanupCommand ?? '',
    createReplicaMethods: [...standby.createReplicaMethods],
    ...(remote
      ? {
          primarySlotName: standby.primarySlotName ?? '',
          recoveryMinApplyDelay: standby.recoveryMinApplyDelay ?? '',
        }
      : {}),
  };
}
