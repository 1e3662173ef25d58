import { bootService } from '../../../libs/service-core/src/index.ts';
import { ROUTER_UPDATER_SERVICE } from './router-updater-service.ts';

void bootService(ROUTER_UPDATER_SERVICE);
