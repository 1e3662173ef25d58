import { bootService } from '../../../libs/service-core/src/index.ts';
import { ApiGatewayModule } from './api-gateway.module.ts';

void bootService('api-gateway', (settings) => ApiGatewayModule.forRoot(settings));
