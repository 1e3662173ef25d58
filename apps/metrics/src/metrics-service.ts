import type { ServiceDefinition } from '../../../libs/service-core/src/index.ts';
import { MetricsModule } from './metrics.module.ts';

export const METRICS_SERVICE: ServiceDefinition = {
  service: 'metrics',
  rootModule: (settings, config) => MetricsModule.forRoot(settings, config),
};
