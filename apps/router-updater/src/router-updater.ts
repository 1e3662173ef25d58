import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatroniClient, type EventSubscription } from '../../../libs/client/src/index.ts';
import { ClusterKeys, ClusterStore, ClusterWatch } from '../../../libs/dcs/src/index.ts';
import {
  nextRouterView,
  EMPTY_ROUTER_VIEW,
  type RouterInput,
  type RouterView,
} from '../../../libs/domain/src/index.ts';
import { EventPublisher, eventStreamLastSequence } from '../../../libs/events/src/index.ts';
import { InjectNatsConnection } from '../../../libs/nats/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { HaproxyRouter, type RouterReports } from './haproxy-router.ts';
import { PgbouncerRouter } from './pgbouncer-router.ts';
import { ROUTER_CONFIG, type RouterConfig } from './router-config.ts';
import { routerInputOf, routerViewOf } from './router-inputs.ts';
import type { RouterFailure } from './router-link.ts';
import { switchoverRequestInput } from './switchover-requests.ts';

const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * Follows the cluster's events, and its `failover` key (a switchover request, the earliest sign of a
 * demotion), and keeps every configured HAProxy and PgBouncer routing to the writable primary and the
 * running replicas. It only listens: a router it cannot reach is logged,
 * announced as a `router_update_failed` event and retried, and no switchover ever waits for it.
 */
@Injectable()
export class RouterUpdater implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RouterUpdater');
  private readonly client: NatroniClient;
  private readonly publisher: EventPublisher;
  private readonly routers: (HaproxyRouter | PgbouncerRouter)[];
  private view: RouterView = EMPTY_ROUTER_VIEW;
  private subscription: EventSubscription | undefined;
  private watch: ClusterWatch | undefined;
  private requested: string | undefined;
  private lastSequence = 0;
  private stopped = false;

  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
    @Inject(ROUTER_CONFIG) config: RouterConfig,
  ) {
    const options = { namespace: settings.namespace, scope: settings.scope };
    this.client = new NatroniClient(connection, options);
    this.publisher = new EventPublisher(connection, options);
    const reports: RouterReports = {
      onFailure: (failure) => this.reportFailure(failure),
      onApplied: (router, change, attempts) =>
        this.logger.log({ msg: `${router}: ${change}`, router, attempts }),
    };
    const { retry_interval_ms: retry, command_timeout_ms: timeout } = config;
    this.routers = [
      ...config.haproxy.map((router) => new HaproxyRouter(router, retry, timeout, reports)),
      ...config.pgbouncer.map((router) => new PgbouncerRouter(router, retry, timeout, reports)),
    ];
  }

  async onModuleInit(): Promise<void> {
    // Events published after this point are read after the keys: replaying one the keys already
    // show changes nothing.
    this.lastSequence = await eventStreamLastSequence(
      this.connection,
      this.settings.namespace,
      this.settings.scope,
    );
    const store = await ClusterStore.open(this.connection, {
      namespace: this.settings.namespace,
      scope: this.settings.scope,
    });
    this.watch = await ClusterWatch.start(store);
    this.view = routerViewOf(this.watch.view);
    this.watch.subscribe((cluster, key) => {
      if (key !== ClusterKeys.failover.name) return;
      const { input, requested } = switchoverRequestInput(
        cluster,
        this.view.writable,
        this.requested,
      );
      this.requested = requested;
      if (input) this.apply(input);
    });
    this.logger.log({
      msg: `routing ${this.routers.length} router(s); writable: ${this.view.writable ?? 'none'}`,
    });
    this.route();
    void this.follow();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.subscription?.stop();
    this.watch?.stop();
    await Promise.all(this.routers.map((router) => router.stop()));
  }

  private apply(input: RouterInput): void {
    const next = nextRouterView(this.view, input);
    if (next === this.view) return;
    this.view = next;
    this.route();
  }

  private route(): void {
    for (const router of this.routers) router.update(this.view);
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        this.subscription = await this.client.events({
          from: { afterSequence: this.lastSequence },
          onMalformed: (error, sequence) =>
            this.logger.warn({ msg: `skipped event ${sequence}: ${error.message}` }),
        });
        for await (const { event, sequence } of this.subscription) {
          if (sequence <= this.lastSequence) continue;
          this.lastSequence = sequence;
          const input = routerInputOf(event);
          if (input !== undefined) this.apply(input);
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ msg: 'the event subscription failed; subscribing again', err: error });
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_DELAY_MS));
    }
  }

  private reportFailure(failure: RouterFailure): void {
    this.logger.warn({
      msg: `${failure.router}: could not update ${failure.routerKind} at ${failure.address}: ${failure.error}; retrying in ${failure.retryInMs} ms`,
      ...failure,
    });
    this.publisher
      .publish({
        member: this.view.writable ?? '',
        detail: { case: 'routerUpdateFailed', value: failure },
      })
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'could not publish the router_update_failed event', err: error }),
      );
  }
}
