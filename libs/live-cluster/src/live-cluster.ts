import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { TimedClusterView, type ClusterStore, type ClusterView } from '../../dcs/src/index.ts';
import type { ClusterFacts, MemberFacts } from '../../domain/src/index.ts';
import { InjectNatsConnection } from '../../nats/src/index.ts';
import { SERVICE_SETTINGS, type ServiceSettings } from '../../service-settings/src/index.ts';

/**
 * The cluster as this process last saw it, for the gateway and the metrics (docs/design.md, gateway):
 * a KV watch keeps it current, and every key's latest revision is timed on this process's monotonic
 * clock when it arrives, so that health checks and scrapes judge the lease and the members' statuses
 * without a network round trip. The watch loads every key's current value on start.
 */
@Injectable()
export class LiveCluster implements OnModuleInit, OnApplicationShutdown {
  private timed: TimedClusterView | undefined;
  private cachedFacts: ClusterFacts | undefined;
  private cachedKey = '';

  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    @Inject(SERVICE_SETTINGS) private readonly settings: ServiceSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    this.timed = await TimedClusterView.open(this.connection, {
      namespace: this.settings.namespace,
      scope: this.settings.scope,
    });
  }

  onApplicationShutdown(): void {
    this.timed?.stop();
  }

  get scope(): string {
    return this.settings.scope;
  }

  get namespace(): string {
    return this.settings.namespace;
  }

  get store(): ClusterStore {
    return this.open().store;
  }

  get view(): ClusterView {
    return this.open().view;
  }

  /** Calls `listener` after every change of the view; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    return this.open().subscribe(listener);
  }

  /** Cluster-wide facts at this instant; recomputed only when something they depend on changed. */
  facts(now = performance.now()): ClusterFacts {
    const facts = this.open().facts(now);
    const key = `${this.view.revision}:${facts.viewFresh}:${facts.leaseValid}:${facts.dcsLastSeen}`;
    if (this.cachedFacts && key === this.cachedKey) return this.cachedFacts;
    this.cachedFacts = facts;
    this.cachedKey = key;
    return this.cachedFacts;
  }

  member(name: string, now = performance.now()): MemberFacts {
    return this.open().member(name, now);
  }

  memberNames(): string[] {
    return this.open().memberNames();
  }

  /** Every member that has a key. */
  members(now = performance.now()): MemberFacts[] {
    const timed = this.open();
    return timed.memberNames().map((name) => timed.member(name, now));
  }

  private open(): TimedClusterView {
    if (!this.timed) throw new Error('the cluster view is not open yet');
    return this.timed;
  }
}
