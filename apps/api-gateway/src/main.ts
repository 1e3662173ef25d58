import { bootService } from '../../../libs/service-core/src/index.ts';
import { ApiGatewayModule } from './api-gateway.module.ts';
import { configureGateway } from './configure-gateway.ts';
import { gatewaySettingsFromEnv } from './gateway-settings.ts';
import { v1SettingsFromEnv } from './maxscale/v1-settings.ts';

void bootService(
  'api-gateway',
  (settings) =>
    ApiGatewayModule.forRoot(
      settings,
      gatewaySettingsFromEnv(process.env),
      v1SettingsFromEnv(process.env),
    ),
  configureGateway,
);
