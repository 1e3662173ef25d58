import { create } from '@bufbuild/protobuf';
import {
  Inject,
  Injectable,
  type Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AgentUnreachableError } from '../../../libs/agent-client/src/index.ts';
import { ClusterKeys, memberKey, type ClusterView } from '../../../libs/dcs/src/index.ts';
import {
  leaseMarginMs,
  leaseResumeVerdict,
  msUntil,
  renewalIntervalMs,
  takeoverDue,
  takeoverDueAt,
} from '../../../libs/domain/src/index.ts';
import {
  cycleReportDue,
  runsAsPrimary,
  standbyClusterOf,
  type CycleReport,
} from '../../../libs/domain/src/election/index.ts';
import { LeaseConfirmations } from '../../../libs/lease-confirmation/src/index.ts';
import { MEMBER_CONFIG, type MemberConfig } from '../../../libs/member-config/src/index.ts';
import { LeaseConfirmationSchema, type MemberStatus } from '../../../libs/proto/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { raceToBootstrap } from './bootstrap-race.ts';
import { ConfigChangeEvents } from './config-change-events.ts';
import { SyncChangeEvents } from './sync-change-events.ts';
import { announce, isPaused, timingsOf, type ElectionContext } from './election-context.ts';
import { ELECTION_CONTEXT } from './election-providers.ts';
import { FailsafeGrants } from './failsafe-grants.ts';
import { maintainFailsafeTopology } from './failsafe-topology.ts';
import { FollowerDuties } from './follower-duties.ts';
import { actAsLeader } from './leader-duties.ts';
import { raceForLease } from './leader-race.ts';
import { handleFailoverKey } from './manual-switchover.ts';
import { MembershipEvents } from './membership-events.ts';
import { acceptsConnections } from './postgres-reachability.ts';
import { bootstrapReplica } from './replica-bootstrap.ts';
import { StandbyLeaderDuties } from './standby-leader-duties.ts';
import { SynchronousReplication } from './synchronous-replication.ts';

const AGENT_RETRY_MS = 200;

/** What one HA cycle decided, in a sentence, and how soon the next cycle is wanted. */
export interface CycleOutcome {
  readonly sentence: string;
  readonly level?: 'log' | 'warn' | 'error';
  /** Sooner than loop_wait, when a takeover or a scheduled switchover falls due. */
  readonly nextInMs?: number;
}

type OwnStatusAnswer =
  | { readonly answered: true; readonly status: MemberStatus }
  | {
      readonly answered: false;
      readonly reason: string;
      /** Set when the agent could not be asked at all, as opposed to an answer without a status. */
      readonly unreachable?: AgentUnreachableError;
    };

/** Keys whose change wakes the loop at once: a leader change reaches every member immediately. */
const WAKING_KEYS = new Set([
  ClusterKeys.leader.name,
  ClusterKeys.failover.name,
  ClusterKeys.config.name,
  ClusterKeys.initialize.name,
]);

/**
 * One member's HA loop (docs/ha.md): a cycle at every `loop_wait`, at once when
 * a key that matters changes, and when a lease takeover falls due; lease renewals on their own timer,
 * so that a long PostgreSQL operation never delays them.
 */
@Injectable()
export class HaLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private cycling = false;
  private cycleRequested = false;
  /**
   * The member whose next status in KV wakes the loop, not a timer: this member while its agent is
   * still starting, or the new leader a clone waits for.
   */
  private awaitedMember: string | undefined;
  private stopped = false;
  private cycleTimer: ReturnType<typeof setTimeout> | undefined;
  private renewalTimer: ReturnType<typeof setInterval> | undefined;
  /** Until the first cycle that reads the `leader` key: a lease left by this member's last run is resumed. */
  private resumeDue = true;
  private stopConfirming: (() => void) | undefined;
  private lastReport: CycleReport | undefined;

  constructor(
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
    @Inject(MEMBER_CONFIG) private readonly config: MemberConfig,
    @Inject(ELECTION_CONTEXT) private readonly context: ElectionContext,
    private readonly followers: FollowerDuties,
    private readonly standbyLeader: StandbyLeaderDuties,
    private readonly synchronous: SynchronousReplication,
    private readonly membership: MembershipEvents,
    private readonly configChanges: ConfigChangeEvents,
    private readonly syncChanges: SyncChangeEvents,
    private readonly grants: FailsafeGrants,
    private readonly confirmations: LeaseConfirmations,
  ) {
    this.logger = context.logger;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { member, lease, watch } = this.context;
    const timings = timingsOf(watch.view, this.config);
    await this.grants.start(this.settings.http);
    lease.onLost((reason, lapsed) => void this.leaseLost(reason, lapsed));
    const confirming = this.confirmations.answer(member, () => {
      const hold = lease.held();
      return create(LeaseConfirmationSchema, {
        held: hold !== undefined,
        term: hold?.term ?? 0,
        validForMs: hold ? msUntil(hold.validUntil, performance.now()) : 0,
      });
    });
    this.stopConfirming = () => confirming.unsubscribe();
    watch.subscribe((_view, key) => {
      const awaited = this.awaitedMember;
      if (WAKING_KEYS.has(key) || (awaited !== undefined && key === memberKey(awaited).name)) {
        this.wake();
      }
    });
    const renewEvery = renewalIntervalMs(timings.ttlMs, leaseMarginMs(timings.ttlMs));
    this.renewalTimer = setInterval(() => void this.renew(), renewEvery);
    this.logger.log({
      msg: `election of ${member} started: ttl ${timings.ttlMs} ms, renewing every ${renewEvery} ms`,
    });
    this.wake();
  }

  /**
   * A stopping election hands nothing over: PostgreSQL keeps running and the lease stays as it is, so
   * that a restart (an upgrade) of this service costs no failover. Its next run resumes the lease if it
   * starts before the agent's deadline; otherwise the agent fences PostgreSQL and a replica takes over
   * when the lease runs out, as if this election had died. To take a primary out for good, switch over
   * first, or stop its node-agent, which stops PostgreSQL and frees the lease.
   */
  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.cycleTimer);
    clearInterval(this.renewalTimer);
    this.stopConfirming?.();
    const { context } = this;
    this.grants.stop();
    const hold = context.lease.held();
    if (hold) {
      this.logger.log({
        msg: `stopping: leaving lease term ${hold.term} and PostgreSQL as they are, for the next election of ${context.member} to resume`,
        term: hold.term,
      });
    }
    context.lease.stop();
    context.watch.stop();
  }

  /** Asks for a cycle as soon as the current one (if any) ends. */
  private wake(): void {
    this.cycleRequested = true;
    if (!this.cycling) void this.runCycles();
  }

  private async runCycles(): Promise<void> {
    this.cycling = true;
    let nextInMs: number | undefined;
    while (this.cycleRequested && !this.stopped) {
      this.cycleRequested = false;
      clearTimeout(this.cycleTimer);
      try {
        const outcome = await this.cycle();
        nextInMs = outcome.nextInMs;
        this.report(outcome);
      } catch (error) {
        this.logger.error({ msg: 'HA cycle failed', err: error });
      }
    }
    this.cycling = false;
    if (this.stopped) return;
    const loopWaitMs = timingsOf(this.context.watch.view, this.config).loopWaitMs;
    this.cycleTimer = setTimeout(() => this.wake(), Math.min(loopWaitMs, nextInMs ?? loopWaitMs));
  }

  /** Logs a cycle's sentence when it changed, and again every few minutes while it stays the same. */
  private report({ sentence, level = 'log' }: CycleOutcome): void {
    const now = performance.now();
    if (!cycleReportDue(this.lastReport, sentence, now)) return;
    this.lastReport = { sentence, loggedAt: now };
    const term = this.context.lease.held()?.term;
    this.logger[level]({ msg: sentence, ...(term === undefined ? {} : { term }) });
  }

  /** One HA cycle: what it decided, and how soon the next one is wanted when sooner than loop_wait. */
  private async cycle(): Promise<CycleOutcome> {
    const context = this.context;
    const view = context.watch.view;
    const timings = timingsOf(view, this.config);
    const own = await this.askOwnStatus();
    this.awaitedMember = undefined;
    if (!own.answered) {
      // An agent still starting (or restarting) is asked again soon, not a whole loop_wait later.
      this.awaitMember(context.member, view);
      const outcome = own.unreachable
        ? await this.agentUnreachable(view, own.unreachable)
        : { sentence: own.reason, level: 'warn' as const };
      return { ...outcome, nextInMs: AGENT_RETRY_MS };
    }
    const mine = own.status;
    if (!view.initialize) return { sentence: await raceToBootstrap(context) };
    const hold =
      context.lease.held() ??
      (await this.resumeLease(mine)) ??
      (await this.reclaimLapsedLease(mine));
    this.resumeDue = false;
    if (view.initialize.value.databaseSystemIdentifier === '' && !hold) {
      return { sentence: 'waiting for leader to bootstrap' };
    }
    if (mine.role === 'uninitialized') {
      const clone = await bootstrapReplica(context, view, this.liveLeader(timings.ttlMs));
      if (clone.awaited !== undefined) this.awaitMember(clone.awaited, view);
      return { sentence: clone.sentence };
    }
    if (hold) {
      // A standby leader has no switchover, synchronous replication or membership of its own to keep.
      if (runsAsPrimary(mine) && !standbyClusterOf(view.config?.value.standbyCluster)) {
        const switchover = await handleFailoverKey(context, view, mine, hold, timings);
        if (switchover.handled) return { sentence: switchover.sentence, nextInMs: 0 };
        const step = await actAsLeader(
          context,
          view,
          mine,
          hold,
          this.standbyLeader,
          this.synchronous,
        );
        await this.synchronous.maintain(view, mine, hold);
        await this.membership.observe(view, hold, timings.ttlMs);
        await this.configChanges.observe(view, hold);
        await this.syncChanges.observe(view, hold);
        await maintainFailsafeTopology(context, view);
        return { sentence: step.sentence, nextInMs: switchover.wakeInMs };
      }
      return {
        sentence: (
          await actAsLeader(context, view, mine, hold, this.standbyLeader, this.synchronous)
        ).sentence,
      };
    }
    const leader = this.liveLeader(timings.ttlMs);
    if (leader && leader.member !== context.member) {
      const sentence = await this.followers.follow(view, mine, leader);
      // Look again the moment the lease would run out, not up to loop_wait later.
      const observed = context.lease.observed();
      return {
        sentence,
        nextInMs: observed
          ? msUntil(takeoverDueAt(observed.seenAt, timings.ttlMs), performance.now())
          : undefined,
      };
    }
    const granted = this.grants.leader();
    if (granted) {
      return {
        sentence: `not racing for the lease: ${granted} confirmed its leadership by a failsafe notice within ttl`,
      };
    }
    const race = await raceForLease(
      context,
      view,
      mine,
      timings,
      this.standbyLeader,
      this.synchronous,
    );
    return {
      sentence: race.sentence,
      nextInMs: race.retryAt === undefined ? undefined : msUntil(race.retryAt, performance.now()),
    };
  }

  /**
   * Wakes the loop at the member's next status; at once if that status already changed while the
   * cycle ran on an older view (the watch saw it before anyone was waiting for it).
   */
  private awaitMember(member: string, cycleView: ClusterView): void {
    this.awaitedMember = member;
    const seen = cycleView.members.get(member)?.revision;
    if (this.context.watch.view.members.get(member)?.revision !== seen) this.cycleRequested = true;
  }

  /**
   * The lease holder, while the lease's last revision is younger than ttl on this member's clock, or
   * while the holder keeps confirming its leadership by failsafe notices.
   */
  private liveLeader(ttlMs: number) {
    const observed = this.context.lease.observed();
    if (!observed || observed.free || !observed.record) return undefined;
    if (this.grants.leader() === observed.record.member) return observed.record;
    return takeoverDue(observed.seenAt, ttlMs, performance.now()) ? undefined : observed.record;
  }

  /**
   * Once, at start: a `leader` key that names this member while its PostgreSQL runs as primary is the
   * lease this member's previous election renewed, taken over with the same term (leaseResumeVerdict).
   */
  private async resumeLease(mine: MemberStatus) {
    if (!this.resumeDue) return undefined;
    this.resumeDue = false;
    const { lease, member } = this.context;
    const { reading, revision } = await lease.read();
    const verdict = leaseResumeVerdict({
      member,
      leaderKey: reading,
      postgresRunningAsPrimary: mine.state === 'running' && mine.role === 'primary',
    });
    if (!verdict.resume) {
      if (verdict.report) this.logger.warn({ msg: `not resuming the lease: ${verdict.reason}` });
      else if (reading.kind === 'held' && reading.member === member)
        this.logger.log({ msg: `not resuming the lease: ${verdict.reason}` });
      return undefined;
    }
    const result = await lease.resume(verdict.term, revision);
    if (!result.acquired) {
      this.logger.warn({
        msg: `could not resume lease term ${verdict.term}: the leader key changed since it was read`,
      });
      return undefined;
    }
    this.logger.log({
      msg: `resumed lease term ${verdict.term}: the leader key named ${member} and PostgreSQL runs as primary, so nothing changes hands`,
      term: verdict.term,
    });
    return result;
  }

  /**
   * Failsafe mode kept this member's PostgreSQL primary while its lease could not be renewed: once the
   * key is reachable again, take the lease back with the same term (the agent fences on that term).
   */
  private async reclaimLapsedLease(mine: MemberStatus) {
    const { lease } = this.context;
    const term = lease.lapsedTerm();
    if (term === undefined || mine.state !== 'running' || mine.role !== 'primary') return undefined;
    const result = await lease.reclaim();
    if (!result.acquired) return undefined;
    this.logger.warn({
      msg: `took lease term ${term} back: failsafe mode kept PostgreSQL primary while the leader key was unreachable`,
      term,
    });
    return result;
  }

  /** This member's status from its agent, or why the agent did not answer. */
  private async askOwnStatus(): Promise<OwnStatusAnswer> {
    const { context } = this;
    try {
      const reply = await context.agents.of(context.member).status();
      if (reply.status) return { answered: true, status: reply.status };
      return { answered: false, reason: `the agent of ${context.member} sent no status` };
    } catch (error) {
      if (!(error instanceof AgentUnreachableError)) throw error;
      return { answered: false, reason: error.message, unreachable: error };
    }
  }

  /**
   * An agent that does not answer while this member leads is told apart by PostgreSQL's port: closed
   * (the agent's guard shut it down) frees the lease for a replica at once; open (a frozen agent)
   * keeps it, since that PostgreSQL still accepts writes.
   */
  private async agentUnreachable(
    view: ClusterView,
    error: AgentUnreachableError,
  ): Promise<CycleOutcome> {
    const hold = this.context.lease.held();
    if (!hold || isPaused(view)) return { sentence: error.message, level: 'warn' };
    if (await acceptsConnections(this.config.postgresql.connect_address, 500)) {
      return {
        sentence: `${error.message}; PostgreSQL still accepts connections: keeping lease term ${hold.term}`,
        level: 'warn',
      };
    }
    return this.releaseForDeadAgent(error, hold.term);
  }

  /** The agent is gone and PostgreSQL is down: the lease goes at once, not when its ttl runs out. */
  private async releaseForDeadAgent(error: Error, term: number): Promise<CycleOutcome> {
    const { context } = this;
    await context.lease.release();
    await announce(context, {
      member: context.member,
      term,
      detail: {
        case: 'leaseLost',
        value: { reason: 'the agent is gone and PostgreSQL is down' },
      },
    });
    return {
      sentence: `${error.message} and PostgreSQL is down: released lease term ${term}`,
      level: 'error',
    };
  }

  private async renew(): Promise<void> {
    const { context } = this;
    if (this.stopped || !context.lease.held()) return;
    const result = await context.lease.renew();
    if (result.outcome === 'renewed') {
      await announce(context, {
        member: context.member,
        term: result.term,
        detail: { case: 'leaseRenewed', value: { latencyMs: result.latencyMs } },
      });
    } else if (result.outcome === 'unreachable') {
      this.logger.warn({ msg: `could not renew the lease: ${result.reason}` });
    }
  }

  /**
   * Patroni's "demoted self because failed to update leader lock in DCS", at once, unless paused, or
   * unless failsafe mode is on and the key was merely unreachable: the agent then keeps PostgreSQL
   * primary only while every member of the `failsafe` key confirms it.
   */
  private async leaseLost(reason: string, lapsed: boolean): Promise<void> {
    const { context } = this;
    const view = context.watch.view;
    const term = context.lease.observed()?.record?.term ?? 0;
    this.logger.error({ msg: `lost the lease: ${reason}`, term });
    // Not awaited: NATS may be what failed, and the event must never delay the demotion.
    void announce(context, {
      member: context.member,
      term,
      detail: { case: 'leaseLost', value: { reason } },
    });
    if (isPaused(view)) {
      this.logger.warn({
        msg: 'PAUSE: continue to run as primary after failing to update leader lock in DCS',
      });
      return;
    }
    if (lapsed && view.config?.value.failsafeMode === true) {
      this.logger.warn({
        msg: 'failsafe mode: not demoting; the agent keeps PostgreSQL primary while all members accept it',
        term,
      });
      this.wake();
      return;
    }
    const agent = context.agents.of(context.member);
    const mine = await agent.status().catch(() => undefined);
    // Meanwhile a cycle may have taken the lapsed lease back (reclaimLapsedLease): demoting now would
    // only make that cycle promote again, on a new timeline.
    const retaken = context.lease.held();
    if (retaken) {
      this.logger.warn({
        msg: `not demoting: lease term ${retaken.term} was taken back while the loss was handled`,
        term: retaken.term,
      });
      this.wake();
      return;
    }
    if (mine?.status?.role === 'primary') {
      const leader = context.lease.observed()?.record?.member ?? '';
      const reply = await agent
        .demote({ term, leader, mode: 'immediate' })
        .catch((error: unknown) => ({ ok: false, message: String(error) }));
      if (reply.ok)
        this.logger.warn({ msg: 'demoted self because failed to update leader lock in DCS', term });
      else
        this.logger.error({
          msg: `could not demote after losing the lease: ${reply.message}`,
          term,
        });
    }
    this.wake();
  }
}
