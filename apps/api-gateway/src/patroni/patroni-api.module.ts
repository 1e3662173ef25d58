import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway-settings.ts';
import { AgentCommands } from './agent-commands.ts';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { ClusterController } from './cluster.controller.ts';
import { ConfigController } from './config.controller.ts';
import { ConfigWriter } from './config-writer.ts';
import { FailsafeController } from './failsafe.controller.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { MemberListeners } from './member-listeners.ts';
import { MetricsController } from './metrics.controller.ts';
import { PatroniExceptionFilter } from './patroni-exception.filter.ts';
import { ReinitializeController } from './reinitialize.controller.ts';
import { ReloadController } from './reload.controller.ts';
import { RestartController } from './restart.controller.ts';
import { StatusResponder } from './status-responder.ts';
import { SwitchoverController } from './switchover.controller.ts';
import { SwitchoverService } from './switchover.service.ts';

/** Patroni's REST API, answered per member on the member listeners (docs/rest-api.md). */
@Module({})
export class PatroniApiModule {
  static forRoot(settings: GatewaySettings): DynamicModule {
    return {
      module: PatroniApiModule,
      controllers: [
        ClusterController,
        ConfigController,
        FailsafeController,
        MetricsController,
        ReinitializeController,
        ReloadController,
        RestartController,
        SwitchoverController,
      ],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        { provide: APP_FILTER, useClass: PatroniExceptionFilter },
        AgentCommands,
        BasicAuthGuard,
        ConfigWriter,
        LiveCluster,
        MemberListeners,
        StatusResponder,
        SwitchoverService,
      ],
      exports: [GATEWAY_SETTINGS, AgentCommands, LiveCluster],
    };
  }
}
