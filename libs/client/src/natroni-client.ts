import { create } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { AgentClient, type AgentRequest } from '../../agent-client/src/index.ts';
import { ClusterKeys, ClusterStore, ClusterWatch, type ClusterView } from '../../dcs/src/index.ts';
import { assertValidName } from '../../domain/src/index.ts';
import { eventStreamName, eventSubject } from '../../events/src/index.ts';
import { FailoverRequestSchema, type CommandReply } from '../../proto/src/index.ts';
import { EventSubscription, type MalformedEventHandler } from './event-subscription.ts';

export const DEFAULT_NAMESPACE = 'natroni';

const CONSUMER_NOT_FOUND = 10014;
const DURABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface NatroniClientOptions {
  scope: string;
  /** `natroni` unless the cluster was configured with another. */
  namespace?: string;
  /** Bound on each JetStream API call and each agent command. */
  timeoutMs?: number;
}

/**
 * Where a subscription starts in the cluster's event stream: only new events, everything the stream
 * holds, from a point in time, or after a stream sequence already processed.
 */
export type EventStart = 'new' | 'all' | Date | { readonly afterSequence: number };

export interface EventOptions {
  /** Only these kinds (e.g. `['failover', 'switchover_completed']`); all kinds when omitted. */
  kinds?: readonly string[];
  /** `new` (default for `events`): only what is published from now on; `all`: everything the stream holds. */
  from?: EventStart;
  onMalformed?: MalformedEventHandler;
}

export interface SwitchoverOptions {
  /** The current leader; the election refuses the request if it is not. */
  leader: string;
  /** The member to promote; the healthiest one when omitted. */
  candidate?: string;
  /** When to do it (ISO 8601 with a time zone); now when omitted. */
  scheduledAt?: string;
}

/**
 * A program's handle on one natroni cluster over a NATS connection the caller owns: its events (live,
 * replayed from a point in time, or durable) and the commands `natronictl` sends. No NestJS, no Node
 * built-ins: it runs under Node and Deno alike.
 */
export class NatroniClient {
  readonly namespace: string;
  readonly scope: string;
  private readonly js: JetStreamClient;
  private readonly agents: AgentClient;
  private readonly timeoutMs: number;
  private store: ClusterStore | undefined;

  constructor(
    private readonly nc: NatsConnection,
    options: NatroniClientOptions,
  ) {
    this.namespace = assertValidName('namespace', options.namespace ?? DEFAULT_NAMESPACE);
    this.scope = assertValidName('scope', options.scope);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.js = jetstream(nc, { timeout: this.timeoutMs });
    this.agents = new AgentClient(nc, this.namespace, this.scope);
  }

  get streamName(): string {
    return eventStreamName(this.namespace, this.scope);
  }

  /**
   * The cluster's events through an ephemeral ordered consumer: each event once, in stream order, from
   * `from` (default: only new ones). A replay from a point in time is `{ from: new Date(...) }`.
   */
  async events(options: EventOptions = {}): Promise<EventSubscription> {
    // No server-side filter: the ordered consumer sends `filter_subjects`, which nats-server 2.9 lacks.
    const consumer = await this.js.consumers.get(
      this.streamName,
      this.startOf(options.from ?? 'new'),
    );
    return new EventSubscription(await consumer.consume(), {
      acknowledged: false,
      kinds: options.kinds,
      onMalformed: options.onMalformed,
    });
  }

  /**
   * The cluster's events through the durable consumer `name`, created on first use (starting at `from`,
   * default: everything the stream holds). Delivery is at least once: an event not acknowledged with
   * `ack()` within `ackWaitMs` is delivered again, and a subscriber that was down receives on its return
   * what it missed. Deduplicate on `event.id`.
   */
  async durableEvents(
    name: string,
    options: EventOptions & { ackWaitMs?: number } = {},
  ): Promise<EventSubscription> {
    const jsm = await jetstreamManager(this.nc, { timeout: this.timeoutMs });
    if (!DURABLE_NAME.test(name)) {
      throw new Error(
        `invalid durable consumer name ${JSON.stringify(name)}: use 1 to 64 letters, digits, '-' or '_'`,
      );
    }
    try {
      await jsm.consumers.info(this.streamName, name);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== CONSUMER_NOT_FOUND) throw error;
      const config: Partial<ConsumerConfig> = {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        ack_wait: (options.ackWaitMs ?? 30_000) * 1_000_000,
        ...this.startOf(options.from ?? 'all'),
        ...this.filterOf(options.kinds),
      };
      await jsm.consumers.add(this.streamName, config);
    }
    const consumer = await this.js.consumers.get(this.streamName, name);
    return new EventSubscription(await consumer.consume(), {
      acknowledged: true,
      kinds: options.kinds,
      onMalformed: options.onMalformed,
    });
  }

  /** Deletes a durable consumer, with the position it kept. */
  async deleteDurable(name: string): Promise<void> {
    const jsm = await jetstreamManager(this.nc, { timeout: this.timeoutMs });
    await jsm.consumers.delete(this.streamName, name);
  }

  /** The cluster's keys as they are now. */
  async view(): Promise<ClusterView> {
    const watch = await ClusterWatch.start(await this.clusterStore(), {
      timeoutMs: this.timeoutMs,
    });
    const view = watch.view;
    watch.stop();
    return view;
  }

  /**
   * Asks for a switchover as `POST /switchover` does: writes the `failover` key, which the leader's
   * election carries out (or at `scheduledAt`). Watch `switchover_completed` / `switchover_failed`
   * for the outcome.
   */
  async switchover(options: SwitchoverOptions): Promise<void> {
    const request = create(FailoverRequestSchema, {
      leader: options.leader,
      ...(options.candidate === undefined ? {} : { member: options.candidate }),
      ...(options.scheduledAt === undefined ? {} : { scheduledAt: options.scheduledAt }),
    });
    await (await this.clusterStore()).put(ClusterKeys.failover, request);
  }

  /** Restarts `member`'s PostgreSQL through its agent; the reply says whether it did. */
  restart(member: string, request: AgentRequest<'restart'> = {}): Promise<CommandReply> {
    return this.agents.request(member, 'restart', request, this.timeoutMs);
  }

  /** Reloads `member`'s PostgreSQL configuration through its agent. */
  reload(member: string): Promise<CommandReply> {
    return this.agents.request(member, 'reload', {}, this.timeoutMs);
  }

  private async clusterStore(): Promise<ClusterStore> {
    this.store ??= await ClusterStore.open(this.nc, {
      namespace: this.namespace,
      scope: this.scope,
      requestTimeoutMs: this.timeoutMs,
    });
    return this.store;
  }

  private startOf(
    from: EventStart,
  ): Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_time' | 'opt_start_seq'> {
    if (from === 'all') return { deliver_policy: DeliverPolicy.All };
    if (from === 'new') return { deliver_policy: DeliverPolicy.New };
    if (!(from instanceof Date))
      return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.afterSequence + 1 };
    return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.toISOString() };
  }

  /**
   * One kind is filtered by the server; several kinds are filtered here, since `filter_subjects` needs
   * nats-server 2.10 and natroni runs on 2.9.
   */
  private filterOf(kinds: readonly string[] | undefined): Pick<ConsumerConfig, 'filter_subject'> {
    if (kinds?.length !== 1) return {};
    return { filter_subject: eventSubject(this.namespace, this.scope, kinds[0]) };
  }
}
