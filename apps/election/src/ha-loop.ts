import { create } from '@bufbuild/protobuf';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { AgentClient, AgentUnreachableError } from '../../../libs/agent-client/src/index.ts';
import {
  ClusterKeys,
  ClusterStore,
  ClusterWatch,
  LeaderLease,
  memberKey,
  type ClusterView,
} from '../../../libs/dcs/src/index.ts';
import {
  leaseMarginMs,
  leaseResumeVerdict,
  renewalIntervalMs,
} from '../../../libs/domain/src/index.ts';
import { ensureEventStream, EventPublisher } from '../../../libs/events/src/index.ts';
import { FailsafeNotices } from '../../../libs/failsafe/src/index.ts';
import { MEMBER_CONFIG, type MemberConfig } from '../../../libs/member-config/src/index.ts';
import { LeaseConfirmations } from '../../../libs/lease-confirmation/src/index.ts';
import { InjectNatsConnection } from '../../../libs/nats/src/index.ts';
import {
  FailsafeReplySchema,
  LeaseConfirmationSchema,
  type FailsafeNotice,
  type FailsafeReply,
  type MemberStatus,
} from '../../../libs/proto/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { AGENT_TIMEOUT_MS } from './agent-timeouts.ts';
import { raceToBootstrap } from './bootstrap-race.ts';
import { announce, isPaused, timingsOf, type ElectionContext } from './election-context.ts';
import { FailsafeGrants } from './failsafe-grants.ts';
import { maintainFailsafeTopology } from './failsafe-topology.ts';
import { cloneFromLeader, FollowerDuties } from './follower-duties.ts';
import { actAsLeader } from './leader-duties.ts';
import { handleFailoverKey } from './manual-switchover.ts';
import { acceptsConnections } from './postgres-reachability.ts';
import { ConfigChangeEvents } from './config-change-events.ts';
import { MembershipEvents } from './membership-events.ts';
import { SynchronousReplication } from './synchronous-replication.ts';

const AGENT_RETRY_MS = 200;

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
  private readonly logger = new Logger('HaLoop');
  private context!: ElectionContext;
  private followers!: FollowerDuties;
  private synchronous!: SynchronousReplication;
  private membership!: MembershipEvents;
  private configChanges!: ConfigChangeEvents;
  private grants!: FailsafeGrants;
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

  constructor(
    @InjectNatsConnection() private readonly nc: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
    @Inject(MEMBER_CONFIG) private readonly config: MemberConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { namespace, scope } = this.settings;
    const member = this.config.name;
    const store = await ClusterStore.open(this.nc, {
      namespace,
      scope,
      replicas: this.config.nats.kv_replicas,
      requestTimeoutMs: 2_000,
    });
    await ensureEventStream(this.nc, namespace, scope, { replicas: this.config.nats.kv_replicas });
    const watch = await ClusterWatch.start(store);
    const timings = timingsOf(watch.view, this.config);
    const lease = new LeaderLease(store, { member, ttlMs: timings.ttlMs });
    await lease.start();
    this.context = {
      member,
      config: this.config,
      store,
      watch,
      lease,
      agents: new AgentClient(this.nc, namespace, scope),
      events: new EventPublisher(this.nc, { namespace, scope }),
      logger: this.logger,
    };
    this.followers = new FollowerDuties(this.context);
    this.synchronous = new SynchronousReplication(this.context);
    this.membership = new MembershipEvents(this.context);
    this.configChanges = new ConfigChangeEvents(this.context);
    this.grants = new FailsafeGrants(this.context, new FailsafeNotices(this.nc, namespace, scope));
    await this.grants.start(this.settings.http);
    lease.onLost((reason, lapsed) => void this.leaseLost(reason, lapsed));
    const confirmations = new LeaseConfirmations(this.nc, namespace, scope).answer(member, () => {
      const hold = lease.held();
      return create(LeaseConfirmationSchema, {
        held: hold !== undefined,
        term: hold?.term ?? 0,
        validForMs: hold ? Math.max(0, hold.validUntil - performance.now()) : 0,
      });
    });
    this.stopConfirming = () => confirmations.unsubscribe();
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
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.cycleTimer);
    clearInterval(this.renewalTimer);
    this.stopConfirming?.();
    const context = this.context;
    if (!context) return;
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

  /** A failsafe notice that reached this election over HTTP (see FailsafeNoticeController). */
  acceptFailsafeNotice(notice: FailsafeNotice): Promise<FailsafeReply> {
    if (!this.grants)
      return Promise.resolve(
        create(FailsafeReplySchema, { accepted: false, message: 'the election is starting' }),
      );
    return this.grants.decide(notice);
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
        nextInMs = await this.cycle();
      } catch (error) {
        this.logger.error({ msg: 'HA cycle failed', err: error });
      }
    }
    this.cycling = false;
    if (this.stopped) return;
    const loopWaitMs = timingsOf(this.context.watch.view, this.config).loopWaitMs;
    this.cycleTimer = setTimeout(() => this.wake(), Math.min(loopWaitMs, nextInMs ?? loopWaitMs));
  }

  /** One HA cycle; returns how soon the next one is wanted, when sooner than loop_wait. */
  private async cycle(): Promise<number | undefined> {
    const context = this.context;
    const view = context.watch.view;
    const timings = timingsOf(view, this.config);
    const mine = await this.ownStatus(view);
    this.awaitedMember = undefined;
    // An agent still starting (or restarting) is asked again soon, not a whole loop_wait later.
    if (!mine) {
      this.awaitMember(context.member, view);
      return AGENT_RETRY_MS;
    }
    if (!view.initialize) {
      await raceToBootstrap(context);
      return undefined;
    }
    const hold =
      context.lease.held() ??
      (await this.resumeLease(mine)) ??
      (await this.reclaimLapsedLease(mine));
    this.resumeDue = false;
    if (view.initialize.value.databaseSystemIdentifier === '' && !hold) {
      this.logger.log({ msg: 'waiting for leader to bootstrap' });
      return undefined;
    }
    if (mine.role === 'uninitialized') {
      const leader = await cloneFromLeader(context, view);
      if (leader !== undefined) this.awaitMember(leader, view);
      return undefined;
    }
    if (hold) {
      if (mine.state === 'running' && mine.role === 'primary') {
        const switchover = await handleFailoverKey(context, view, mine, hold, timings);
        if (switchover.handled) return 0;
        await actAsLeader(context, view, mine, hold);
        await this.synchronous.maintain(view, mine, hold);
        await this.membership.observe(view, hold, timings.ttlMs);
        await this.configChanges.observe(view, hold);
        await maintainFailsafeTopology(context, view);
        return switchover.wakeInMs;
      }
      await actAsLeader(context, view, mine, hold);
      return undefined;
    }
    const leader = this.liveLeader(timings.ttlMs);
    if (leader && leader.member !== context.member) {
      await this.followers.follow(view, mine, leader);
      // Look again the moment the lease would run out, not up to loop_wait later.
      const observed = context.lease.observed();
      return observed
        ? Math.max(0, observed.seenAt + timings.ttlMs - performance.now())
        : undefined;
    }
    const granted = this.grants.leader();
    if (granted) {
      this.logger.log({
        msg: `not racing for the lease: ${granted} confirmed its leadership by a failsafe notice within ttl`,
      });
      return undefined;
    }
    const retryAt = await this.followers.race(view, mine, timings);
    return retryAt === undefined ? undefined : Math.max(0, retryAt - performance.now());
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
    return performance.now() - observed.seenAt < ttlMs ? observed.record : undefined;
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

  /**
   * This member's status from its agent. An agent that does not answer while this member leads is
   * told apart by PostgreSQL's port: closed (the agent's guard shut it down) frees the lease for a
   * replica at once; open (a frozen agent) keeps it, since that PostgreSQL still accepts writes.
   */
  private async ownStatus(view: ClusterView): Promise<MemberStatus | undefined> {
    const { context } = this;
    try {
      const reply = await context.agents.request(
        context.member,
        'status',
        {},
        AGENT_TIMEOUT_MS.status,
      );
      return reply.status;
    } catch (error) {
      if (!(error instanceof AgentUnreachableError)) throw error;
      const hold = context.lease.held();
      if (!hold || isPaused(view)) {
        this.logger.warn({ msg: error.message });
        return undefined;
      }
      if (await acceptsConnections(this.config.postgresql.connect_address, 500)) {
        this.logger.warn({
          msg: `${error.message}; PostgreSQL still accepts connections: keeping lease term ${hold.term}`,
        });
        return undefined;
      }
      this.logger.error({
        msg: `${error.message} and PostgreSQL is down: releasing lease term ${hold.term}`,
      });
      await context.lease.release();
      await announce(context, {
        kind: 'lease_lost',
        member: context.member,
        term: hold.term,
        detail: {
          case: 'leaseLost',
          value: { reason: 'the agent is gone and PostgreSQL is down' },
        },
      });
      return undefined;
    }
  }

  private async renew(): Promise<void> {
    const { context } = this;
    if (this.stopped || !context.lease.held()) return;
    const result = await context.lease.renew();
    if (result.outcome === 'renewed') {
      await announce(context, {
        kind: 'lease_renewed',
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
      kind: 'lease_lost',
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
    const mine = await context.agents
      .request(context.member, 'status', {}, AGENT_TIMEOUT_MS.status)
      .catch(() => undefined);
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
      const reply = await context.agents
        .request(
          context.member,
          'demote',
          { term, leader, mode: 'immediate' },
          AGENT_TIMEOUT_MS.demote,
        )
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
