import { bootService } from '../../../libs/service-core/src/index.ts';
import { ApiGatewayModule } from './api-gateway.module.ts';
import { configureGateway } from './configure-gateway.ts';
import { gatewaySettingsFromEnv } from './gateway-settings.ts';

void bootService(
  'api-gateway',
  (settings) => ApiGatewayModule.forRoot(settings, gatewaySettingsFromEnv(process.env)),
  configureGateway,
);
