import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { ClusterMetrics } from './cluster-metrics.ts';
import { LiveCluster } from '../../../libs/live-cluster/src/index.ts';
import { EventTail } from './event-tail.ts';
import { MetricsController } from './metrics.controller.ts';

/** Root module of the metrics service: the cluster's KV keys and events as Prometheus metrics. */
@Module({})
export class MetricsModule {
  static forRoot(settings: ServiceSettings, config?: MemberConfig): DynamicModule {
    return {
      module: MetricsModule,
      imports: [ServiceCoreModule.forRoot(settings, config)],
      controllers: [MetricsController],
      providers: [LiveCluster, ClusterMetrics, EventTail],
    };
  }
}
