import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { loadRouterConfig, ROUTER_CONFIG, ROUTER_CONFIG_VARIABLE } from './router-config.ts';
import { RouterUpdater } from './router-updater.ts';

/**
 * Root module of the router updater: the cluster's events drive the HAProxy instances and PgBouncers
 * named in the YAML file that NATRONI_ROUTERS_CONFIG names.
 */
@Module({})
export class RouterUpdaterModule {
  static forRoot(settings: ServiceSettings, config: MemberConfig | undefined): DynamicModule {
    const file = process.env[ROUTER_CONFIG_VARIABLE];
    return {
      module: RouterUpdaterModule,
      imports: [ServiceCoreModule.forRoot(settings, config)],
      providers: [
        {
          provide: ROUTER_CONFIG,
          useFactory: () => {
            if (!file)
              throw new Error(`${ROUTER_CONFIG_VARIABLE}: name the router updater's YAML file`);
            return loadRouterConfig(file);
          },
        },
        RouterUpdater,
      ],
    };
  }
}
