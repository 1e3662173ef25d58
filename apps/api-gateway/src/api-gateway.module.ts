import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import type { GatewaySettings } from './gateway-settings.ts';
import { PatroniApiModule } from './patroni/patroni-api.module.ts';

/** Root module of the api-gateway service; its own modules join the service core here. */
@Module({})
export class ApiGatewayModule {
  static forRoot(settings: ServiceSettings, gateway: GatewaySettings): DynamicModule {
    return {
      module: ApiGatewayModule,
      imports: [ServiceCoreModule.forRoot(settings), PatroniApiModule.forRoot(gateway)],
    };
  }
}
