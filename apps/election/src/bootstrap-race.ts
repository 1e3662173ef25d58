import { create } from '@bufbuild/protobuf';
import { ClusterKeys, RevisionConflictError } from '../../../libs/dcs/src/index.ts';
import {
  decodeWire,
  DynamicConfigSchema,
  InitializeRecordSchema,
  type DynamicConfig,
} from '../../../libs/proto/src/index.ts';
import {
  remoteSourceName,
  remotePrimaryUrl,
  standbyClusterOf,
} from '../../../libs/domain/src/election/index.ts';
import { announce, type ElectionContext } from './election-context.ts';
import { standbyUpstream } from '../../../libs/agent-client/src/index.ts';

/** The `bootstrap.dcs` section as the `config` key's message; unknown keys are dropped. */
export function bootstrapConfig(context: ElectionContext): DynamicConfig {
  return decodeWire(DynamicConfigSchema, JSON.stringify(context.config.bootstrap.dcs));
}

/**
 * Patroni's bootstrap race (its `ha.py` `bootstrap`): the member that creates the `initialize`
 * key takes the lease, has its agent run initdb under that term, then records the system identifier
 * and the dynamic configuration. The others wait for a leader to clone from. When `bootstrap.dcs`
 * holds a `standby_cluster`, the winner copies the remote primary instead of running initdb and
 * becomes the standby leader (Patroni's `bootstrap_standby_leader`).
 */
/** Returns what this member did, for the cycle's sentence. */
export async function raceToBootstrap(context: ElectionContext): Promise<string> {
  const { store, lease, logger, member } = context;
  const standby = standbyClusterOf(bootstrapConfig(context).standbyCluster);
  const noFailover = context.config.tags['nofailover'] === true;
  if (noFailover) return 'waiting for leader to bootstrap (nofailover)';
  try {
    await store.create(
      ClusterKeys.initialize,
      create(InitializeRecordSchema, { databaseSystemIdentifier: '' }),
    );
  } catch (error) {
    if (!(error instanceof RevisionConflictError)) throw error;
    return 'failed to acquire initialize lock: waiting for leader to bootstrap';
  }
  const grant = await lease.attempt();
  if (!grant.acquired) {
    await store.delete(ClusterKeys.initialize);
    return 'won the initialize lock but not the lease: leaving the bootstrap to another';
  }
  logger.log({
    msg: standby
      ? `trying to bootstrap a standby cluster from ${remoteSourceName(standby)}: lease term ${grant.term}`
      : `trying to bootstrap a new cluster: lease term ${grant.term}`,
    term: grant.term,
  });
  const agent = context.agents.of(member);
  const reply = await (
    standby
      ? agent.clone({
          // Without a host, only a no_leader method (a restore from a backup) can copy the remote.
          ...sourceOfStandbyCopy(remotePrimaryUrl(standby)),
          standby: standbyUpstream(standby, true),
        })
      : agent.bootstrap(grant.term, context.config.bootstrap.timeout * 1000)
  ).catch((error: unknown) => ({ ok: false, message: String(error), status: undefined }));
  if (!reply.ok) {
    // As Patroni: free the initialize key so that another member (or this one) can try again.
    await store.delete(ClusterKeys.initialize);
    await lease.release();
    logger.error({ msg: `Failed to bootstrap cluster: ${reply.message}`, term: grant.term });
    return 'bootstrap failed: the initialize key and the lease are free again';
  }
  const systemIdentifier = reply.status?.databaseSystemIdentifier ?? '';
  await store.put(
    ClusterKeys.initialize,
    create(InitializeRecordSchema, { databaseSystemIdentifier: systemIdentifier }),
  );
  try {
    await store.create(ClusterKeys.config, bootstrapConfig(context));
  } catch (error) {
    if (!(error instanceof RevisionConflictError)) throw error;
  }
  await announce(context, {
    member,
    term: grant.term,
    timeline: reply.status?.timeline ?? 1,
    lsn: reply.status?.xlog?.location ?? 0,
    detail: { case: 'leaderElected', value: { previousLeader: '' } },
  });
  return standby
    ? `bootstrapped a standby cluster: ${member} is the standby leader following ${remoteSourceName(standby)}, lease term ${grant.term}`
    : `initialized a new cluster: ${member} is primary, lease term ${grant.term}`;
}

function sourceOfStandbyCopy(
  remoteUrl: string | undefined,
): { sourceConnUrl: string } | { withoutLeader: true } {
  return remoteUrl === undefined ? { withoutLeader: true } : { sourceConnUrl: remoteUrl };
}
