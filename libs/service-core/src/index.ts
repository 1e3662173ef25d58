export { bootService, failedToStart, loadServiceSettings } from './boot-service.ts';
export { ServiceCoreModule } from './service-core.module.ts';
