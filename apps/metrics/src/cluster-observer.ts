import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { TimedClusterView, type ClusterView } from '../../../libs/dcs/src/index.ts';
import type { ClusterFacts, MemberFacts } from '../../../libs/domain/src/index.ts';
import { InjectNatsConnection } from '../../../libs/nats/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';

/**
 * The cluster's KV keys as this process last saw them, each timed when it arrived, so that a scrape
 * judges the members' statuses and the lease as the gateway does. The watch loads every key's current
 * value on start: nothing is lost by a restart.
 */
@Injectable()
export class ClusterObserver implements OnModuleInit, OnApplicationShutdown {
  private timed: TimedClusterView | undefined;

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

  get view(): ClusterView {
    return this.open().view;
  }

  facts(now: number): ClusterFacts {
    return this.open().facts(now);
  }

  /** Every member that has a key, by name. */
  members(now: number): MemberFacts[] {
    const timed = this.open();
    return timed.memberNames().map((name) => timed.member(name, now));
  }

  private open(): TimedClusterView {
    if (!this.timed) throw new Error('the cluster view is not open yet');
    return this.timed;
  }
}
