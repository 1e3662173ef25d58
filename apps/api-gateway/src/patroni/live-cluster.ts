import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ClusterStore,
  ClusterWatch,
  MEMBER_KEY_PREFIX,
  type ClusterView,
} from '../../../../libs/dcs/src/index.ts';
import {
  clusterFactsOf,
  inMaintenance,
  isDraining,
  serverKeyToken,
  type ClusterFacts,
  type MemberFacts,
} from '../../../../libs/domain/src/index.ts';
import { InjectNatsConnection } from '../../../../libs/nats/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../../libs/service-settings/src/index.ts';

const CONFIRM_INTERVAL_MS = 1_000;

/**
 * The gateway's in-memory cluster view (DESIGN.md, "The gateway"): a KV watch keeps it current, and
 * every key's latest revision is timed on this process's monotonic clock when it arrives, so that
 * health checks judge the lease and the members' statuses without a network round trip.
 */
@Injectable()
export class LiveCluster implements OnModuleInit, OnApplicationShutdown {
  private watch: ClusterWatch | undefined;
  private clusterStore: ClusterStore | undefined;
  private readonly receivedAt = new Map<string, number>();
  private confirmedAt = 0;
  private confirmedWallMs = 0;
  private confirmTimer: ReturnType<typeof setInterval> | undefined;
  private cachedFacts: ClusterFacts | undefined;
  private cachedKey = '';

  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    this.clusterStore = await ClusterStore.open(this.connection, {
      namespace: this.settings.namespace,
      scope: this.settings.scope,
    });
    const watch = await ClusterWatch.start(this.clusterStore);
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

  get scope(): string {
    return this.settings.scope;
  }

  get namespace(): string {
    return this.settings.namespace;
  }

  get store(): ClusterStore {
    if (!this.clusterStore) throw new Error('the cluster view is not open yet');
    return this.clusterStore;
  }

  get view(): ClusterView {
    if (!this.watch) throw new Error('the cluster view is not open yet');
    return this.watch.view;
  }

  /** Calls `listener` after every change of the view; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    if (!this.watch) throw new Error('the cluster view is not open yet');
    return this.watch.subscribe(listener);
  }

  /** Cluster-wide facts at this instant; recomputed only when something they depend on changed. */
  facts(now = performance.now()): ClusterFacts {
    const view = this.view;
    const leader = view.leader?.value;
    const facts = clusterFactsOf({
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
    const key = `${view.revision}:${facts.viewFresh}:${facts.leaseValid}:${facts.dcsLastSeen}`;
    if (this.cachedFacts && key === this.cachedKey) return this.cachedFacts;
    this.cachedFacts = facts;
    this.cachedKey = key;
    return this.cachedFacts;
  }

  member(name: string, now = performance.now()): MemberFacts {
    const status = this.view.members.get(name)?.value;
    const seenAt = this.receivedAt.get(MEMBER_KEY_PREFIX + name);
    const server = this.view.servers.get(serverKeyToken(name))?.value;
    return {
      name,
      status,
      statusAgeMs: status && seenAt !== undefined ? now - seenAt : Number.POSITIVE_INFINITY,
      outOfReadRotation: inMaintenance(server) || isDraining(server),
    };
  }

  memberNames(): string[] {
    return [...this.view.members.keys()].sort();
  }

  private confirm(): void {
    this.confirmedAt = performance.now();
    this.confirmedWallMs = Date.now();
  }
}
