import { Module, type DynamicModule } from '@nestjs/common';
import { FiltersController } from './filters.controller.ts';
import { LinkedObjectWriter } from './linked-object-writer.ts';
import { LinkedObjects } from './linked-objects.ts';
import { MonitorsController } from './monitors.controller.ts';
import { ServerInventory } from './server-inventory.ts';
import { ServerWriter } from './server-writer.ts';
import { ServersController } from './servers.controller.ts';
import { ServicesController } from './services.controller.ts';
import { UnmanagedServerMonitor } from './unmanaged-server-monitor.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';
import { V1FallbackController } from './v1-fallback.controller.ts';
import { V1RequestRewrite } from './v1-request-rewrite.ts';
import { V1_SETTINGS, type V1Settings } from './v1-settings.ts';

/**
 * MaxScale's `/v1/servers` JSON:API (docs/maxscale-api.md), cluster-wide: served on the gateway's
 * own listener and, under `/v1`, on every member listener. It reads the Patroni module's cluster view
 * and agent commands.
 */
@Module({})
export class MaxscaleApiModule {
  /** `patroni` is the gateway's PatroniApiModule.forRoot(): its cluster view, agent commands and settings. */
  static forRoot(settings: V1Settings, patroni: DynamicModule): DynamicModule {
    return {
      module: MaxscaleApiModule,
      imports: [patroni],
      controllers: [
        ServersController,
        ServicesController,
        MonitorsController,
        FiltersController,
        V1FallbackController,
      ],
      providers: [
        { provide: V1_SETTINGS, useValue: settings },
        LinkedObjects,
        LinkedObjectWriter,
        ServerInventory,
        ServerWriter,
        UnmanagedServerMonitor,
        V1AuthGuard,
        V1RequestRewrite,
      ],
    };
  }
}
