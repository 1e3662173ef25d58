export { bootComposedServices, type ServiceDefinitionLoaders } from './boot-composed-services.ts';
export {
  bootService,
  failedToStart,
  loadServiceSettings,
  type ServiceDefinition,
} from './boot-service.ts';
export { ServiceCoreModule } from './service-core.module.ts';
