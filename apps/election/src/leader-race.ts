import {
  ClusterKeys,
  RevisionConflictError,
  type ClusterView,
} from '../../../libs/dcs/src/index.ts';
import {
  failsafeRaceBlock,
  leaderRaceVerdict,
  leaderStep,
  standbyClusterOf,
  type HaTimings,
} from '../../../libs/domain/src/election/index.ts';
import { leaderlessSince } from '../../../libs/domain/src/index.ts';
import type { MemberStatus } from '../../../libs/proto/src/index.ts';
import {
  announce,
  isPaused,
  memberInMaintenance,
  quorumKeyOf,
  syncMembersOf,
  type ElectionContext,
} from './election-context.ts';
import { promote } from './leader-duties.ts';
import { participantOf, probeMembers, walPositionOf } from './peer-probe.ts';
import type { StandbyLeaderDuties } from './standby-leader-duties.ts';
import type { SynchronousReplication } from './synchronous-replication.ts';

export interface RaceOutcome {
  readonly sentence: string;
  /** When a takeover is not yet due: the monotonic time at which to look again. */
  readonly retryAt?: number;
}

/**
 * The leader race when no lease is held (Patroni's `process_unhealthy_cluster`): leaderRaceVerdict
 * decides whether this member races; the lease's atomic write picks one winner, who is promoted, or
 * in a standby cluster becomes the standby leader and follows the remote primary.
 */
export async function raceForLease(
  context: ElectionContext,
  view: ClusterView,
  mine: MemberStatus,
  timings: HaTimings,
  standbyLeader: StandbyLeaderDuties,
  synchronous: SynchronousReplication,
): Promise<RaceOutcome> {
  const { member, logger, lease } = context;
  if (isPaused(view)) return { sentence: 'PAUSE: no leader, and replicas never race in pause' };
  const observed = lease.observed();
  if (mine.state !== 'running' && mine.state !== 'starting') {
    // As Patroni's recover(): without a leader, start PostgreSQL read-only first; a running replica
    // may then race, and a former primary with the most WAL wins and is promoted.
    const term = observed?.lastTerm ?? 0;
    const reply = await context.agents.of(member).demote({ term, leader: '', mode: 'fast' });
    if (!reply.ok) logger.error({ msg: `could not start PostgreSQL read-only: ${reply.message}` });
    return {
      sentence: `no leader: starting PostgreSQL read-only before the leader race (${mine.state})`,
    };
  }
  const since = observed
    ? leaderlessSince(observed.seenAt, observed.free, timings.ttlMs)
    : performance.now();
  const others = [...view.members.keys()].filter((name) => name !== member);
  const peers = await probeMembers(context.agents, others, (name) =>
    memberInMaintenance(view, name),
  );
  const failover = view.failover?.value;
  const candidate = failover?.member;
  const failsafeBlock = failsafeRaceBlock(
    view.config?.value.failsafeMode === true,
    view.failsafe?.value.members,
    member,
  );
  if (failsafeBlock) return { sentence: `not racing for the lease: ${failsafeBlock}` };
  const verdict = leaderRaceVerdict({
    me: participantOf(mine, memberInMaintenance(view, member)),
    peers,
    paused: false,
    leaderWalPosition: view.status?.value.optime ?? 0,
    maximumLagOnFailover: timings.maximumLagOnFailover,
    clusterTimeline: undefined,
    syncMembers: syncMembersOf(view),
    quorum: quorumKeyOf(view),
    formerLeader: view.leader?.value.member,
    manualCandidate: candidate,
    // As Patroni's failover_limitation: a named candidate that answers keeps the race, whatever its state.
    manualCandidateAvailable: peers.some((peer) => peer.name === candidate && !peer.noFailover),
  });
  if (!verdict.race) return { sentence: `not racing for the lease: ${verdict.reason}` };
  const result = await lease.attempt();
  if (!result.acquired) {
    const holder = result.holder ? `${result.holder.member} holds` : 'another member took';
    return {
      sentence: `racing for the lease: ${holder} it, a takeover is not due yet`,
      retryAt: result.retryAt,
    };
  }
  const standby = standbyClusterOf(view.config?.value.standbyCluster);
  const step = leaderStep({ member, term: result.term, postgres: mine, standby });
  if (standby && step.step === 'follow_remote') {
    const refusal = await standbyLeader.followRemote(result.term, standby);
    await announce(context, {
      member,
      term: result.term,
      detail: { case: 'leaderElected', value: { previousLeader: view.leader?.value.member ?? '' } },
    });
    return {
      sentence:
        refusal === undefined
          ? `won the leader race: ${step.sentence}`
          : `won the leader race: ${step.sentence}: the agent refused (${refusal})`,
    };
  }
  logger.log({
    msg: `acquired the lease: term ${result.term}, promoting ${member} (wal position ${walPositionOf(mine)}, last leader wal position ${view.status?.value.optime ?? 'unknown'})`,
    term: result.term,
    peers: peers.map((peer) => `${peer.name}@${peer.walPosition}`),
  });
  const promoted = await promote(context, view, mine, result, since, synchronous);
  const failoverEntry = view.failover;
  if (promoted && failoverEntry) {
    await context.store
      .delete(ClusterKeys.failover, failoverEntry.revision)
      .catch((error: unknown) => {
        if (!(error instanceof RevisionConflictError)) throw error;
      });
  }
  if (promoted)
    return { sentence: `won the leader race: ${member} leads with lease term ${result.term}` };
  await announce(context, {
    member,
    term: result.term,
    detail: { case: 'leaseLost', value: { reason: 'promotion failed: lease released' } },
  });
  await lease.release();
  return {
    sentence: `won the leader race but could not promote: released lease term ${result.term}`,
  };
}
