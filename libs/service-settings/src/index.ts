export {
  SERVICE_DEFAULTS,
  SERVICE_NAMES,
  type ServiceDefaults,
  type ServiceName,
} from './service-names.ts';
export {
  SERVICE_SETTINGS,
  type HttpSettings,
  type NatsSettings,
  type ServiceSettings,
} from './service-settings.ts';
export {
  COMPOSED_SERVICES_ENV,
  composedServicesFromEnv,
  type ComposedService,
} from './composed-services.ts';
export { ServiceSettingsError } from './service-settings-error.ts';
export { SETTINGS_ENV, settingsFromEnv, type Environment } from './settings-from-env.ts';
