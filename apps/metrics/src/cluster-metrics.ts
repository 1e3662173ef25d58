import { Inject, Injectable } from '@nestjs/common';
import { Registry } from 'prom-client';
import { withPostgresStateValues } from '../../../libs/domain/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { LiveCluster } from '../../../libs/live-cluster/src/index.ts';
import { EventMetrics } from './event-metrics.ts';
import { LeaseMetrics } from './lease-metrics.ts';
import { PatroniMemberMetrics } from './patroni-member-metrics.ts';

/** The whole cluster's metrics in one prom-client registry: every member's, then natroni's own. */
@Injectable()
export class ClusterMetrics {
  private readonly registry = new Registry();
  private readonly members = new PatroniMemberMetrics(this.registry);
  readonly events: EventMetrics;
  private readonly lease: LeaseMetrics;

  constructor(
    private readonly cluster: LiveCluster,
    @Inject(SERVICE_SETTINGS) settings: ServiceSettings,
  ) {
    this.events = new EventMetrics(this.registry, settings.scope);
    this.lease = new LeaseMetrics(this.registry, settings.scope);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    const now = performance.now();
    this.members.update(this.cluster.members(now), this.cluster.facts(now), Date.now());
    this.lease.update(this.cluster.view.leader?.value);
    return withPostgresStateValues(await this.registry.metrics());
  }
}
