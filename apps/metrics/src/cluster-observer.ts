import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ClusterStore,
  ClusterWatch,
  MEMBER_KEY_PREFIX,
  type ClusterView,
} from '../../../libs/dcs/src/index.ts';
import {
  clusterFactsOf,
  type ClusterFacts,
  type MemberFacts,
} from '../../../libs/domain/src/index.ts';
import { InjectNatsConnection } from '../../../libs/nats/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';

const CONFIRM_INTERVAL_MS = 1_000;

/**
 * The cluster's KV keys as this process last saw them, each timed on its monotonic clock when it
 * arrived, so that a scrape judges the members' statuses and the lease as the gateway does. The watch
 * loads every key's current value on start: nothing is lost by a restart.
 */
@Injectable()
export class ClusterObserver implements OnModuleInit, OnApplicationShutdown {
  private watch: ClusterWatch | undefined;
  private readonly receivedAt = new Map<string, number>();
  private confirmedAt = 0;
  private confirmedWallMs = 0;
  private confirmTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    const store = await ClusterStore.open(this.connection, {
      namespace: this.settings.namespace,
      scope: this.settings.scope,
    });
    const watch = await ClusterWatch.start(store);
    this.watch = watch;
    const startedAt = performance.now();
    for (const name of watch.view.members.keys())
      this.receivedAt.set(MEMBER_KEY_PREFIX + name, startedAt);
    this.receivedAt.set('leader', startedAt);
    this.confirm();
    watch.subscribe((_view, key) => {
      this.receivedAt.set(key, performance.now());
      this.confirm();
    });
    this.confirmTimer = setInterval(() => {
      this.connection.rtt().then(
        () => this.confirm(),
        () => undefined,
      );
    }, CONFIRM_INTERVAL_MS);
    this.confirmTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.confirmTimer);
    this.watch?.stop();
  }

  get view(): ClusterView {
    if (!this.watch) throw new Error('the cluster view is not open yet');
    return this.watch.view;
  }

  facts(now: number): ClusterFacts {
    const view = this.view;
    const leader = view.leader?.value;
    return clusterFactsOf({
      scope: this.settings.scope,
      nowMs: now,
      confirmedAtMs: this.confirmedAt,
      confirmedWallMs: this.confirmedWallMs,
      config: view.config?.value,
      leader,
      leaderSeenAtMs: this.receivedAt.get('leader'),
      syncStandby: view.sync?.value.syncStandby,
      statusOptime: view.status?.value.optime,
      leaderXlogLocation: leader ? view.members.get(leader.member)?.value.xlogLocation : undefined,
    });
  }

  /** Every member that has a key, by name. */
  members(now: number): MemberFacts[] {
    return [...this.view.members.keys()].sort().map((name) => {
      const status = this.view.members.get(name)?.value;
      const seenAt = this.receivedAt.get(MEMBER_KEY_PREFIX + name);
      return {
        name,
        status,
        statusAgeMs: status && seenAt !== undefined ? now - seenAt : Number.POSITIVE_INFINITY,
      };
    });
  }

  private confirm(): void {
    this.confirmedAt = performance.now();
    this.confirmedWallMs = Date.now();
  }
}
