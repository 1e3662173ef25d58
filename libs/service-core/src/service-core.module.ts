import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from '../../health/src/index.ts';
import { LoggingModule, serviceLogFields } from '../../logging/src/index.ts';
import { MEMBER_CONFIG, type MemberConfig } from '../../member-config/src/index.ts';
import { NatsConnectionModule } from '../../nats/src/index.ts';
import { SERVICE_SETTINGS, type ServiceSettings } from '../../service-settings/src/index.ts';

/**
 * What every service is built on: its settings (global, under `SERVICE_SETTINGS`), structured logs, the
 * NATS connection, `GET /health`, and the member configuration (global, under `MEMBER_CONFIG`) when the
 * service was started with a configuration file. Import it once per process, from the root module.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(settings: ServiceSettings, config?: MemberConfig): DynamicModule {
    const configProviders = config ? [{ provide: MEMBER_CONFIG, useValue: config }] : [];
    return {
      module: ServiceCoreModule,
      global: true,
      imports: [
        LoggingModule.forRoot(serviceLogFields(settings)),
        NatsConnectionModule.forRoot(settings),
        HealthModule,
      ],
      providers: [{ provide: SERVICE_SETTINGS, useValue: settings }, ...configProviders],
      exports: [SERVICE_SETTINGS, ...configProviders.map(({ provide }) => provide)],
    };
  }
}
