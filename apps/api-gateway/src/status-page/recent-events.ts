import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JsonValue } from '@bufbuild/protobuf';
import { NatroniClient, type EventSubscription } from '../../../../libs/client/src/index.ts';
import { eventStreamName } from '../../../../libs/events/src/index.ts';
import { InjectNatsConnection } from '../../../../libs/nats/src/index.ts';
import { EventSchema, toWireJson } from '../../../../libs/proto/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../../libs/service-settings/src/index.ts';

/** How many of the latest events a page receives when it opens. */
export const RECENT_EVENT_COUNT = 50;
const RESUBSCRIBE_DELAY_MS = 1_000;
const STREAM_NOT_FOUND = 10059;
/** Lease renewals come every loop_wait: they would push every other event off the page. */
const NOT_SHOWN = new Set(['lease_renewed']);

/**
 * The cluster's latest events for the status page: an ordered consumer on the event stream, started when
 * the first page opens and stopped when the last one closes, so that a gateway nobody watches pays
 * nothing. Each event is kept in its canonical JSON, as it travels.
 */
@Injectable()
export class RecentEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('RecentEvents');
  private readonly client: NatroniClient;
  private readonly kept: JsonValue[] = [];
  private subscription: EventSubscription | undefined;
  private lastSequence = 0;
  /** Counts the starts, so that a follow loop left from an earlier start ends by itself. */
  private generation = 0;
  private running = false;
  private listener: ((event: JsonValue) => void) | undefined;

  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
  ) {
    this.client = new NatroniClient(connection, {
      namespace: settings.namespace,
      scope: settings.scope,
    });
  }

  /** The kept events, oldest first. */
  get events(): readonly JsonValue[] {
    return this.kept;
  }

  start(listener: (event: JsonValue) => void): void {
    this.listener = listener;
    if (this.running) return;
    this.running = true;
    this.generation += 1;
    void this.follow(this.generation);
  }

  stop(): void {
    this.running = false;
    this.listener = undefined;
    this.subscription?.stop();
    this.subscription = undefined;
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /**
   * Where to start reading: after what was read already, unless that is far behind the stream's end (the
   * pages were closed meanwhile), then a little before the end; undefined while the stream does not
   * exist (the elections and agents create it).
   */
  private async startSequence(): Promise<number | undefined> {
    const jsm = await jetstreamManager(this.connection);
    let last: number;
    try {
      const stream = eventStreamName(this.settings.namespace, this.settings.scope);
      last = (await jsm.streams.info(stream)).state.last_seq;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return undefined;
      throw error;
    }
    // Enough to fill the list once the renewals among them are left out.
    const recent = Math.max(0, last - RECENT_EVENT_COUNT * 20);
    if (recent <= this.lastSequence) return this.lastSequence;
    this.kept.length = 0;
    return recent;
  }

  private async follow(generation: number): Promise<void> {
    const current = () => this.running && generation === this.generation;
    while (current()) {
      try {
        const after = await this.startSequence();
        if (!current()) return;
        if (after === undefined) {
          await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_DELAY_MS));
          continue;
        }
        const subscription = await this.client.events({ from: { afterSequence: after } });
        if (!current()) {
          subscription.stop();
          return;
        }
        this.subscription = subscription;
        for await (const { event, sequence } of subscription) {
          if (sequence <= this.lastSequence) continue;
          this.lastSequence = sequence;
          if (NOT_SHOWN.has(event.kind)) continue;
          const json = JSON.parse(toWireJson(EventSchema, event)) as JsonValue;
          this.kept.push(json);
          if (this.kept.length > RECENT_EVENT_COUNT) this.kept.shift();
          this.listener?.(json);
        }
      } catch (error) {
        if (!current()) return;
        this.logger.warn({ msg: 'the event subscription failed; subscribing again', err: error });
      }
      if (current()) await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_DELAY_MS));
    }
  }
}
