import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from '../../health/src/index.ts';
import { LoggingModule, serviceLogFields } from '../../logging/src/index.ts';
import { NatsConnectionModule } from '../../nats/src/index.ts';
import { SERVICE_SETTINGS, type ServiceSettings } from '../../service-settings/src/index.ts';

/**
 * What every service is built on: its settings (global, under `SERVICE_SETTINGS`), structured logs, the
 * NATS connection and `GET /health`. Import it once per process, from the root module.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(settings: ServiceSettings): DynamicModule {
    return {
      module: ServiceCoreModule,
      global: true,
      imports: [
        LoggingModule.forRoot(serviceLogFields(settings)),
        NatsConnectionModule.forRoot(settings),
        HealthModule,
      ],
      providers: [{ provide: SERVICE_SETTINGS, useValue: settings }],
      exports: [SERVICE_SETTINGS],
    };
  }
}
