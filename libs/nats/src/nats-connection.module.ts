import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceSettings } from '../../service-settings/src/index.ts';
import { connectToNats } from './connect-to-nats.ts';
import { NatsConnectionLifecycle } from './nats-connection-lifecycle.ts';
import { NATS_CONNECTION } from './nats-connection.token.ts';

/** Provides the application's single NATS connection, globally, under `NATS_CONNECTION`. */
@Module({})
export class NatsConnectionModule {
  static forRoot(settings: ServiceSettings): DynamicModule {
    return {
      module: NatsConnectionModule,
      global: true,
      providers: [
        { provide: NATS_CONNECTION, useFactory: () => connectToNats(settings) },
        NatsConnectionLifecycle,
      ],
      exports: [NATS_CONNECTION],
    };
  }
}
