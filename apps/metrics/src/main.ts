import { bootService } from '../../../libs/service-core/src/index.ts';
import { MetricsModule } from './metrics.module.ts';

void bootService('metrics', (settings, config) => MetricsModule.forRoot(settings, config));
