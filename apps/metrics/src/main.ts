import { bootService } from '../../../libs/service-core/src/index.ts';
import { METRICS_SERVICE } from './metrics-service.ts';

void bootService(METRICS_SERVICE);
