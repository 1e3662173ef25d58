import { create } from '@bufbuild/protobuf';
import { ClusterKeys } from '../../../libs/dcs/src/index.ts';
import {
  leaderStep,
  standbyClusterOf,
  type LeaderStep,
} from '../../../libs/domain/src/election/index.ts';
import { ClusterStatusSchema, type MemberStatus } from '../../../libs/proto/src/index.ts';
import type { ClusterView, LeaseHold } from '../../../libs/dcs/src/index.ts';
import { recordPromotion } from './cluster-history.ts';
import { announce, type ElectionContext } from './election-context.ts';
import { walPositionOf } from './peer-probe.ts';
import type { StandbyLeaderDuties } from './standby-leader-duties.ts';
import type { SynchronousReplication } from './synchronous-replication.ts';

/**
 * What the lease holder does each cycle (docs/ha.md): leaderStep's verdict turned into the agent's
 * request, so that its PostgreSQL is the primary under its term; a running primary publishes its
 * WAL position in the `status` key (Patroni's `optime`). In a standby cluster the lease holder is
 * the standby leader: it follows the remote primary and publishes the WAL position it replayed.
 * Returns the step and its sentence.
 */
export async function actAsLeader(
  context: ElectionContext,
  view: ClusterView,
  mine: MemberStatus,
  hold: LeaseHold,
  standbyLeader: StandbyLeaderDuties,
  synchronous: SynchronousReplication,
): Promise<LeaderStep> {
  const { member, logger } = context;
  const standby = standbyClusterOf(view.config?.value.standbyCluster);
  const step = leaderStep({
    member,
    term: hold.term,
    postgres: mine,
    standby,
    followsRemote: standby !== undefined && standbyLeader.followsRemote(hold.term, standby),
  });
  switch (step.step) {
    case 'lead':
    case 'lead_standby':
      await publishWalPosition(context, view, walPositionOf(mine));
      break;
    case 'follow_remote': {
      const refusal = standby ? await standbyLeader.followRemote(hold.term, standby) : undefined;
      if (refusal !== undefined) {
        return {
          step: 'follow_remote',
          sentence: `${step.sentence}: the agent refused (${refusal})`,
        };
      }
      break;
    }
    case 'promote':
      await promote(context, view, mine, hold, performance.now(), synchronous);
      break;
    case 'wait':
      break;
    case 'start_primary': {
      const reply = await context.agents.of(member).start(hold.term);
      if (!reply.ok)
        logger.error({
          msg: `could not start PostgreSQL as primary: ${reply.message}`,
          term: hold.term,
        });
    }
  }
  return step;
}

/**
 * Promotes this member's replica under the lease term, then records the new timeline. `since` is when
 * the leaderless time began (the old lease ran out), for the failover event's duration.
 */
export async function promote(
  context: ElectionContext,
  view: ClusterView,
  mine: MemberStatus,
  hold: LeaseHold,
  since: number,
  synchronous: SynchronousReplication,
): Promise<boolean> {
  const { member, logger } = context;
  const postponed = await synchronous.prepareQuorumPromotion(view, hold);
  if (postponed !== undefined) {
    logger.warn({ msg: `not promoting ${member} yet: ${postponed}`, term: hold.term });
    return false;
  }
  const previousLeader = view.leader?.value.member ?? '';
  const switchWalPosition = walPositionOf(mine);
  const reply = await context.agents.of(member).promote(hold.term);
  if (!reply.ok) {
    logger.error({ msg: `could not promote ${member}: ${reply.message}`, term: hold.term });
    return false;
  }
  // A replica's own timeline can lag behind the one it follows; the promotion's new one cannot.
  const timeline = reply.status?.timeline ?? (mine.timeline ?? 0) + 1;
  const endedTimeline = timeline - 1;
  logger.log({
    msg: `promoted ${member}: lease term ${hold.term}, timeline ${timeline}`,
    term: hold.term,
    timeline,
  });
  if (endedTimeline > 0) await recordPromotion(context, endedTimeline, switchWalPosition);
  await publishWalPosition(
    context,
    view,
    reply.status ? walPositionOf(reply.status) : switchWalPosition,
  );
  const common = { member, term: hold.term, timeline, lsn: switchWalPosition };
  await announce(context, {
    ...common,
    detail: { case: 'leaderElected', value: { previousLeader } },
  });
  await announce(context, {
    ...common,
    detail: { case: 'roleChanged', value: { fromRole: mine.role, toRole: 'primary' } },
  });
  if (previousLeader !== '' && previousLeader !== member && !view.failover) {
    await announce(context, {
      ...common,
      detail: {
        case: 'failover',
        value: {
          oldLeader: previousLeader,
          newLeader: member,
          durationMs: performance.now() - since,
          reason: 'the leader lease ran out',
        },
      },
    });
  }
  return true;
}

async function publishWalPosition(
  context: ElectionContext,
  view: ClusterView,
  walPosition: number,
): Promise<void> {
  if (walPosition === 0 || view.status?.value.optime === walPosition) return;
  await context.store.put(ClusterKeys.status, create(ClusterStatusSchema, { optime: walPosition }));
}
