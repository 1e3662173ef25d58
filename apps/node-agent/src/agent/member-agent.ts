import { create } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import type pg from 'pg';
import { ClusterStore, memberKey, releaseLeaseOf } from '../../../../libs/dcs/src/index.ts';
import { ensureEventStream, EventPublisher } from '../../../../libs/events/src/index.ts';
import { FailsafeNotices } from '../../../../libs/failsafe/src/index.ts';
import { LeaseConfirmations } from '../../../../libs/lease-confirmation/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { CallbackCompletedSchema } from '../../../../libs/proto/src/index.ts';
import { resolvePostgresOsUser } from '../postgres/os-user.ts';
import { createPostgresPool } from '../postgres/postgres-pool.ts';
import { CallbackQueue, type CallbackOutcome } from './callback-queue.ts';
import { ClusterObserver } from './cluster-observer.ts';
import { agentSubjectPrefix, CommandResponder } from './command-responder.ts';
import { FailsafeRound } from './failsafe-round.ts';
import { LeaseFence } from './lease-fence.ts';
import { MemberCommands } from './member-commands.ts';
import { MemberStatusPublisher } from './member-status-publisher.ts';
import { OperationLock } from './operation-lock.ts';
import { PostgresAnswerWatch } from './postgres-answer-watch.ts';
import { PostgresLifecycle } from './postgres-lifecycle.ts';
import { PostgresStateMachine } from './postgres-state-machine.ts';
import { ReplicationSlotUpkeep } from './replication-slot-upkeep.ts';
import { RestartSchedule } from './restart-schedule.ts';
import { TermTracker } from './term-tracker.ts';

export interface MemberAgentOptions {
  /** Member status publication period while PostgreSQL runs; 250 ms by default. */
  readonly statusIntervalMs?: number;
  /** Stop PostgreSQL when the agent stops (true by default; the postmaster guard would stop it anyway). */
  readonly stopPostgresOnClose?: boolean;
}

/** One member's node-agent: every part composed, started and stopped together. */
export class MemberAgent {
  private readonly logger = new Logger('MemberAgent');

  private constructor(
    readonly config: MemberConfig,
    readonly machine: PostgresStateMachine,
    readonly lifecycle: PostgresLifecycle,
    readonly status: MemberStatusPublisher,
    readonly fence: LeaseFence,
    readonly responder: CommandResponder,
    private readonly slots: ReplicationSlotUpkeep,
    readonly terms: TermTracker,
    private readonly cluster: ClusterObserver,
    private readonly callbacks: CallbackQueue,
    private readonly pool: pg.Pool,
    private readonly answers: PostgresAnswerWatch,
    private readonly store: ClusterStore,
    private readonly options: MemberAgentOptions,
  ) {}

  static async start(
    nc: NatsConnection,
    config: MemberConfig,
    options: MemberAgentOptions = {},
  ): Promise<MemberAgent> {
    const { namespace, scope, name } = config;
    const store = await ClusterStore.open(nc, {
      namespace,
      scope,
      replicas: config.nats.kv_replicas,
    });
    await ensureEventStream(nc, namespace, scope, { replicas: config.nats.kv_replicas });
    const events = new EventPublisher(nc, { namespace, scope });
    const osUser = await resolvePostgresOsUser(config.postgresql.os_user);
    const cluster = await ClusterObserver.start(store, config.bootstrap.dcs);
    const terms = new TermTracker();
    terms.observe(cluster.leader.record?.term);
    cluster.onLeader((sighting) => terms.observe(sighting.record?.term));
    const machine = new PostgresStateMachine();
    const pool = createPostgresPool(config);
    const logger = new Logger('MemberAgent');
    const callbacks = new CallbackQueue({
      scope,
      commands: config.postgresql.callbacks,
      timeoutMs: config.postgresql.callback_timeout * 1_000,
      onCompleted: (outcome) => {
        events
          .publish(callbackEvent(name, terms.highestTerm, outcome))
          .catch((error: unknown) =>
            logger.warn({ msg: 'could not publish a callback event', err: error }),
          );
      },
    });
    const lifecycle = new PostgresLifecycle({ config, osUser, pool, machine, cluster, callbacks });
    // The status carries the scheduled restart: publish at once, as PostgreSQL may not run (then
    // nothing else publishes) and a restarted agent takes the restart up from the stored status.
    const restarts = new RestartSchedule(() => void status.publishNow());
    const previous = await store.get(memberKey(name)).catch((error: unknown) => {
      logger.warn({ msg: 'could not read the previous member status', err: error });
      return undefined;
    });
    const status = new MemberStatusPublisher({
      config,
      store,
      events,
      machine,
      pool,
      terms,
      connUrl: lifecycle.connUrl,
      scheduledRestart: () => restarts.current,
      lastStop: () => lifecycle.lastStop(),
      intervalMs: options.statusIntervalMs,
    });
    const lock = new OperationLock();
    const failsafe = new FailsafeRound({
      config,
      cluster,
      notices: new FailsafeNotices(nc, namespace, scope),
      connUrl: lifecycle.connUrl,
      walPosition: () => walPositionWithin(status, WAL_POSITION_TIMEOUT_MS),
    });
    const fence = new LeaseFence(
      name,
      cluster,
      machine,
      async (reason) => {
        const demotion = lock.run('self-fencing demotion', () => lifecycle.fence());
        // Not awaited: NATS is often what failed, and the event must never delay the demotion.
        void events
          .publish({
            member: name,
            term: terms.highestTerm,
            detail: { case: 'leaseLost', value: { reason } },
          })
          .catch(() => undefined);
        await demotion;
      },
      failsafe,
      (timeoutMs) => new LeaseConfirmations(nc, namespace, scope).ask(name, timeoutMs),
    );
    const answers = new PostgresAnswerWatch({
      config,
      machine,
      ttlMs: () => cluster.ttlMs,
      onUnanswered: (silentForMs) => {
        // Fence first (SIGKILL, outside the operation lock: an operation may hang on that PostgreSQL
        // itself), then free the lease, so that a replica takes over at once, not a ttl later.
        const term = fence.armedTerm ?? terms.highestTerm;
        lifecycle.killUnanswering();
        const reason = `PostgreSQL did not answer for ${Math.round(silentForMs)} ms: killed, lease term ${term} released`;
        logger.error({ msg: reason, term });
        void releaseLeaseOf(store, name, term)
          .catch((error: unknown) => {
            logger.warn({ msg: 'could not release the lease after fencing', err: error });
            return false;
          })
          .then(() =>
            events.publish({
              member: name,
              term,
              detail: { case: 'leaseLost', value: { reason } },
            }),
          )
          .catch(() => undefined);
      },
    });
    const commands = new MemberCommands({
      member: name,
      lifecycle,
      machine,
      lock,
      terms,
      cluster,
      fence,
      status,
      restarts,
      pool,
    });
    const responder = new CommandResponder(
      nc,
      agentSubjectPrefix(namespace, scope, name),
      commands,
      status,
    );
    const slots = new ReplicationSlotUpkeep(name, cluster, machine, pool);
    const stored = previous?.value.scheduledRestart;
    if (stored) logger.log({ msg: commands.resumeScheduledRestart(stored, cluster.loopWaitMs) });
    status.start();
    responder.start();
    slots.start();
    answers.start();
    return new MemberAgent(
      config,
      machine,
      lifecycle,
      status,
      fence,
      responder,
      slots,
      terms,
      cluster,
      callbacks,
      pool,
      answers,
      store,
      options,
    );
  }

  /**
   * Stopping the agent stops PostgreSQL (its guard would stop it anyway). A primary's lease is then
   * freed, so that a replica takes over at once rather than when the lease runs out.
   */
  async stop(): Promise<void> {
    await this.responder.stop();
    await this.slots.stop();
    this.answers.stop();
    const leadingTerm = this.fence.armedTerm;
    this.fence.close();
    if (this.options.stopPostgresOnClose ?? true) {
      await this.lifecycle.close().catch((error: unknown) => {
        this.logger.warn({ msg: 'could not stop PostgreSQL', err: error });
      });
      if (leadingTerm !== undefined && !this.lifecycle.running) {
        await releaseLeaseOf(this.store, this.config.name, leadingTerm).catch((error: unknown) => {
          this.logger.warn({ msg: 'could not release the lease', err: error });
        });
      }
    }
    await this.status.publishNow();
    await this.status.stop();
    await this.callbacks.close();
    this.cluster.stop();
    await this.pool.end().catch(() => undefined);
  }
}

/** A failsafe round has a tight budget: a PostgreSQL that does not answer at once leaves the LSN out. */
const WAL_POSITION_TIMEOUT_MS = 300;

async function walPositionWithin(
  status: MemberStatusPublisher,
  timeoutMs: number,
): Promise<number | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    const current = await Promise.race([status.current(), timeout]);
    return current?.xlog?.location;
  } finally {
    clearTimeout(timer);
  }
}

function callbackEvent(member: string, term: number, outcome: CallbackOutcome) {
  return {
    member,
    term,
    detail: {
      case: 'callbackCompleted' as const,
      value: create(CallbackCompletedSchema, {
        action: outcome.action,
        role: outcome.role,
        exitCode: outcome.exitCode,
        durationMs: outcome.durationMs,
        timedOut: outcome.timedOut,
      }),
    },
  };
}
