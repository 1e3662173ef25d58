import type { ClusterView } from '../../../libs/dcs/src/index.ts';
import { canCreateReplicaWithoutLeader } from '../../../libs/domain/src/index.ts';
import { replicaBootstrapStep, standbyClusterOf } from '../../../libs/domain/src/election/index.ts';
import type { LeaseRecord } from '../../../libs/proto/src/index.ts';
import { bootstrapConfig } from './bootstrap-race.ts';
import { isPaused, type ElectionContext } from './election-context.ts';
import { standbyUpstream } from '../../../libs/agent-client/src/index.ts';

/**
 * A member without a data directory, once the cluster is initialized (replicaBootstrapStep): clones
 * it from the leader (in a standby cluster from the standby leader, with standby_cluster's
 * restore_command); with no leader, creates it with its `no_leader` methods alone (Patroni's
 * "bootstrap (without leader)"), then starts as a replica without an upstream that may win the leader
 * race; or waits. `liveLeader` is the lease holder while its lease has not run out.
 * Returns what it did, and the leader it waits for while that leader's PostgreSQL is not running yet.
 */
export async function bootstrapReplica(
  context: ElectionContext,
  view: ClusterView,
  liveLeader: LeaseRecord | undefined,
): Promise<{ sentence: string; awaited?: string }> {
  const { logger, member } = context;
  const holder = liveLeader?.member ?? view.leader?.value.member;
  const source = holder ? view.members.get(holder)?.value : undefined;
  // As Patroni, the member's own bootstrap.dcs until the leader has written the config key.
  const config = view.config ? view.config.value : bootstrapConfig(context);
  const standby = standbyClusterOf(config.standbyCluster);
  const step = replicaBootstrapStep({
    leader: holder
      ? {
          member: holder,
          running: source?.state === 'running' && source.connUrl !== '',
          // Before this member has read the leader key, the holder is taken to be alive.
          leaseLive: liveLeader !== undefined || context.lease.observed() === undefined,
        }
      : undefined,
    bootstrapping: view.initialize?.value.databaseSystemIdentifier === '',
    canCreateWithoutLeader: canCreateReplicaWithoutLeader(
      context.config.postgresql.create_replica_methods,
      context.config.postgresql.replica_method_options,
    ),
    standby: standby !== undefined,
    paused: isPaused(view),
  });
  if (step.step === 'wait') return step;
  const agent = context.agents.of(member);
  if (step.step === 'bootstrap_without_leader') {
    logger.log({ msg: `trying to ${step.sentence}` });
    const reply = await agent
      .clone({ withoutLeader: true })
      .catch((error: unknown) => ({ ok: false, message: String(error) }));
    if (!reply.ok) {
      logger.error({ msg: `failed to ${step.sentence}: ${reply.message}` });
      return { sentence: `failed to ${step.sentence}` };
    }
    return { sentence: 'bootstrapped (without leader)' };
  }
  const leader = step.leader;
  logger.log({ msg: `bootstrap from leader '${leader}'` });
  const reply = await agent.clone({
    sourceMember: leader,
    sourceConnUrl: source?.connUrl ?? '',
    ...(standby ? { standby: standbyUpstream(standby, false) } : {}),
  });
  if (!reply.ok) {
    logger.error({ msg: `could not clone from ${leader}: ${reply.message}` });
    return { sentence: `could not bootstrap from leader '${leader}'` };
  }
  return { sentence: `bootstrapped from leader '${leader}'` };
}
