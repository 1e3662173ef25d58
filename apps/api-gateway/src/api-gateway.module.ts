import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import type { GatewaySettings } from './gateway-settings.ts';
import { MaxscaleApiModule } from './maxscale/maxscale-api.module.ts';
import { DEFAULT_V1_SETTINGS, type V1Settings } from './maxscale/v1-settings.ts';
import { PatroniApiModule } from './patroni/patroni-api.module.ts';
import { StatusPageModule } from './status-page/status-page.module.ts';

/** Root module of the api-gateway service; its own modules join the service core here. */
@Module({})
export class ApiGatewayModule {
  static forRoot(
    settings: ServiceSettings,
    gateway: GatewaySettings,
    v1: V1Settings = DEFAULT_V1_SETTINGS,
  ): DynamicModule {
    const patroni = PatroniApiModule.forRoot(gateway);
    return {
      module: ApiGatewayModule,
      imports: [
        ServiceCoreModule.forRoot(settings),
        patroni,
        MaxscaleApiModule.forRoot(v1, patroni),
        StatusPageModule.forRoot(patroni),
      ],
    };
  }
}
