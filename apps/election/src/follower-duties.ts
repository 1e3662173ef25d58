import {
  ClusterKeys,
  RevisionConflictError,
  type ClusterView,
} from '../../../libs/dcs/src/index.ts';
import {
  failsafeRaceBlock,
  leaderRaceVerdict,
  type HaTimings,
} from '../../../libs/domain/src/election/index.ts';
import type { LeaseRecord, MemberStatus } from '../../../libs/proto/src/index.ts';
import { AGENT_TIMEOUT_MS } from './agent-timeouts.ts';
import {
  announce,
  isPaused,
  memberInMaintenance,
  syncMembersOf,
  type ElectionContext,
} from './election-context.ts';
import { promote } from './leader-duties.ts';
import { participantOf, probeMembers, walPositionOf } from './peer-probe.ts';

/** A replica that has not streamed for this long while the leader is on a newer timeline is rewound. */
const DIVERGED_AFTER_MS = 3_000;

/**
 * A member without a data directory clones it from the leader (or a running `clonefrom` member).
 * Returns the leader it waits for while that leader's PostgreSQL is not running yet.
 */
export async function cloneFromLeader(
  context: ElectionContext,
  view: ClusterView,
): Promise<string | undefined> {
  const leader = view.leader?.value.member;
  const source = leader ? view.members.get(leader)?.value : undefined;
  if (!leader || !source || source.state !== 'running') {
    context.logger.log({ msg: 'waiting for leader to bootstrap' });
    return leader;
  }
  context.logger.log({ msg: `bootstrap from leader '${leader}'` });
  const reply = await context.agents.request(
    context.member,
    'clone',
    { sourceMember: leader, sourceConnUrl: source.connUrl },
    AGENT_TIMEOUT_MS.clone,
  );
  if (!reply.ok) context.logger.error({ msg: `could not clone from ${leader}: ${reply.message}` });
  return undefined;
}

/**
 * Keeps this member a replica of the lease holder: demotes a primary that lost the lease, starts a
 * stopped PostgreSQL as a replica, re-points a replica at a new leader, and rewinds a member whose
 * timeline diverged (Patroni's `process_healthy_cluster` and its rewind path).
 */
export class FollowerDuties {
  private followed: { leader: string; term: number } | undefined;
  private notStreamingSince: number | undefined;

  constructor(private readonly context: ElectionContext) {}

  async follow(view: ClusterView, mine: MemberStatus, leader: LeaseRecord): Promise<void> {
    const { context } = this;
    const { member, logger, agents } = context;
    const leaderStatus = view.members.get(leader.member)?.value;
    if (!leaderStatus?.connUrl) {
      logger.log({ msg: `waiting for ${leader.member} to publish its status` });
      return;
    }
    const request = { term: leader.term, leader: leader.member, connUrl: leaderStatus.connUrl };
    if (mine.state === 'running' && mine.role === 'primary') {
      logger.warn({
        msg: `demoting self because I do not have the lock and I was a leader: ${leader.member} holds lease term ${leader.term}`,
        term: leader.term,
      });
      await agents.request(
        member,
        'demote',
        { ...request, mode: 'immediate' },
        AGENT_TIMEOUT_MS.demote,
      );
      this.followed = { leader: leader.member, term: leader.term };
      return;
    }
    if (this.diverged(mine, leaderStatus)) {
      logger.warn({
        msg: `running pg_rewind from ${leader.member}: timeline ${mine.timeline} diverged`,
      });
      const reply = await agents.request(
        member,
        'rewind',
        { term: leader.term, sourceConnUrl: leaderStatus.connUrl },
        AGENT_TIMEOUT_MS.rewind,
      );
      if (!reply.ok)
        logger.error({ msg: `pg_rewind from ${leader.member} failed: ${reply.message}` });
      this.notStreamingSince = undefined;
      return;
    }
    const running = mine.state === 'running' || mine.state === 'starting';
    if (running && this.followed?.leader === leader.member && this.followed.term === leader.term)
      return;
    logger.log({
      msg: `following ${leader.member}: lease term ${leader.term}${running ? '' : ', starting PostgreSQL as its replica'}`,
      term: leader.term,
    });
    const reply = await agents.request(member, 'follow', request, AGENT_TIMEOUT_MS.follow);
    if (reply.ok) this.followed = { leader: leader.member, term: leader.term };
    else logger.error({ msg: `could not follow ${leader.member}: ${reply.message}` });
  }

  /** A running replica that stays off the stream while the leader runs a newer timeline has diverged. */
  private diverged(mine: MemberStatus, leader: MemberStatus): boolean {
    const behind =
      mine.state === 'running' &&
      mine.role !== 'primary' &&
      mine.replicationState !== 'streaming' &&
      mine.timeline !== undefined &&
      leader.timeline !== undefined &&
      mine.timeline < leader.timeline;
    if (!behind) {
      this.notStreamingSince = undefined;
      return false;
    }
    this.notStreamingSince ??= performance.now();
    return performance.now() - this.notStreamingSince >= DIVERGED_AFTER_MS;
  }

  /**
   * The leader race when no lease is held (`process_unhealthy_cluster`). Returns when to look again
   * if a takeover is not yet due.
   */
  async race(
    view: ClusterView,
    mine: MemberStatus,
    timings: HaTimings,
  ): Promise<number | undefined> {
    const { context } = this;
    const { member, logger, lease } = context;
    if (isPaused(view)) {
      logger.log({ msg: 'PAUSE: no leader, and replicas never race in pause' });
      return undefined;
    }
    const observed = lease.observed();
    if (mine.state !== 'running' && mine.state !== 'starting') {
      // As Patroni's recover(): without a leader, start PostgreSQL read-only first; a running replica
      // may then race, and a former primary with the most WAL wins and is promoted.
      logger.log({
        msg: `no leader: starting PostgreSQL read-only before the leader race (${mine.state})`,
      });
      const term = observed?.lastTerm ?? 0;
      const reply = await context.agents.request(
        member,
        'demote',
        { term, leader: '', mode: 'fast' },
        AGENT_TIMEOUT_MS.demote,
      );
      if (!reply.ok)
        logger.error({ msg: `could not start PostgreSQL read-only: ${reply.message}` });
      return undefined;
    }
    const since = observed
      ? observed.seenAt + (observed.free ? 0 : timings.ttlMs)
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
    if (failsafeBlock) {
      logger.log({ msg: `not racing for the lease: ${failsafeBlock}` });
      return undefined;
    }
    const verdict = leaderRaceVerdict({
      me: participantOf(mine, memberInMaintenance(view, member)),
      peers,
      paused: false,
      leaderOptime: view.status?.value.optime ?? 0,
      maximumLagOnFailover: timings.maximumLagOnFailover,
      clusterTimeline: undefined,
      syncMembers: syncMembersOf(view),
      formerLeader: view.leader?.value.member,
      manualCandidate: candidate,
      // As Patroni's failover_limitation: a named candidate that answers keeps the race, whatever its state.
      manualCandidateAvailable: peers.some((peer) => peer.name === candidate && !peer.noFailover),
    });
    if (!verdict.race) {
      logger.log({ msg: `not racing for the lease: ${verdict.reason}` });
      return undefined;
    }
    const result = await lease.attempt();
    if (!result.acquired) return result.retryAt;
    logger.log({
      msg: `acquired the lease: term ${result.term}, promoting ${member} (wal position ${walPositionOf(mine)}, last leader optime ${view.status?.value.optime ?? 'unknown'})`,
      term: result.term,
      peers: peers.map((peer) => `${peer.name}@${peer.walPosition}`),
    });
    const promoted = await promote(context, view, mine, result, since);
    const failoverEntry = view.failover;
    if (promoted && failoverEntry) {
      await context.store
        .delete(ClusterKeys.failover, failoverEntry.revision)
        .catch((error: unknown) => {
          if (!(error instanceof RevisionConflictError)) throw error;
        });
    }
    if (!promoted) {
      await announce(context, {
        kind: 'lease_lost',
        member,
        term: result.term,
        detail: { case: 'leaseLost', value: { reason: 'promotion failed: lease released' } },
      });
      await lease.release();
    }
    return undefined;
  }
}
