import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  NatroniClient,
  type EventStart,
  type EventSubscription,
} from '../../../libs/client/src/index.ts';
import { eventStreamLastSequence } from '../../../libs/events/src/index.ts';
import { InjectNatsConnection } from '../../../libs/nats/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { ClusterMetrics } from './cluster-metrics.ts';

const CATCH_UP_TIMEOUT_MS = 20_000;
const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * Feeds every event of the cluster's stream into the metrics, from the stream's first message (an
 * ordered consumer), so that a restarted metrics service counts again what the stream still holds.
 * Start-up waits, within a bound, until it has read what the stream held then.
 */
@Injectable()
export class EventTail implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EventTail');
  private readonly client: NatroniClient;
  private subscription: EventSubscription | undefined;
  private lastSequence = 0;
  private stopped = false;
  private caughtUp: (() => void) | undefined;

  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
    private readonly metrics: ClusterMetrics,
  ) {
    this.client = new NatroniClient(connection, {
      namespace: settings.namespace,
      scope: settings.scope,
    });
  }

  async onModuleInit(): Promise<void> {
    const target = await eventStreamLastSequence(
      this.connection,
      this.settings.namespace,
      this.settings.scope,
    );
    const caughtUp = new Promise<boolean>((resolve) => {
      this.caughtUp = () => resolve(true);
      setTimeout(() => resolve(false), CATCH_UP_TIMEOUT_MS).unref();
    });
    void this.follow(target);
    if (!(await caughtUp)) {
      this.logger.warn({
        msg: `read ${this.lastSequence} of ${target} stored events within ${CATCH_UP_TIMEOUT_MS} ms; the rest follows`,
      });
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.subscription?.stop();
  }

  private async follow(target: number): Promise<void> {
    if (target === 0) this.caughtUp?.();
    while (!this.stopped) {
      try {
        const from: EventStart =
          this.lastSequence === 0 ? 'all' : { afterSequence: this.lastSequence };
        this.subscription = await this.client.events({
          from,
          onMalformed: (error, sequence) => {
            this.logger.warn({ msg: `skipped event ${sequence}: ${error.message}` });
          },
        });
        for await (const { event, sequence } of this.subscription) {
          if (sequence <= this.lastSequence) continue;
          this.lastSequence = sequence;
          this.metrics.events.record(event);
          if (sequence >= target) this.caughtUp?.();
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ msg: 'the event subscription failed; subscribing again', err: error });
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_DELAY_MS));
    }
  }
}
