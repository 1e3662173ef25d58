import type { DynamicModule } from '@nestjs/common';
import type { ServiceDefinition } from '../../../libs/service-core/src/index.ts';
import {
  ServiceSettingsError,
  type Environment,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { ApiGatewayModule } from './api-gateway.module.ts';
import { configureGateway } from './configure-gateway.ts';
import { GATEWAY_ENV, gatewaySettingsFromEnv } from './gateway-settings.ts';
import { v1SettingsFromEnv } from './maxscale/v1-settings.ts';

function rootModule(settings: ServiceSettings): DynamicModule {
  return ApiGatewayModule.forRoot(
    settings,
    gatewaySettingsFromEnv(process.env),
    v1SettingsFromEnv(process.env),
  );
}

export const API_GATEWAY_SERVICE: ServiceDefinition = {
  service: 'api-gateway',
  rootModule,
  configure: configureGateway,
};

/** The gateway composed with other services serves from their one process: it forks no workers. */
export function composedGatewayService(env: Environment): ServiceDefinition {
  if (env[GATEWAY_ENV.workers]?.trim() && gatewaySettingsFromEnv(env).workers !== 1) {
    throw new ServiceSettingsError('api-gateway', [
      `${GATEWAY_ENV.workers}: the api-gateway composed with other services runs in their one process: leave it unset or set 1`,
    ]);
  }
  return API_GATEWAY_SERVICE;
}
