import type { ServiceDefinition } from '../../../libs/service-core/src/index.ts';
import { RouterUpdaterModule } from './router-updater.module.ts';

export const ROUTER_UPDATER_SERVICE: ServiceDefinition = {
  service: 'router-updater',
  rootModule: (settings, config) => RouterUpdaterModule.forRoot(settings, config),
};
