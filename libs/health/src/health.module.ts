import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { NatsHealthIndicator } from '../../nats/src/index.ts';
import { HealthController } from './health.controller.ts';

/** Serves the service's health check; needs the global NATS connection (`NatsConnectionModule`). */
@Module({
  imports: [TerminusModule.forRoot()],
  controllers: [HealthController],
  providers: [NatsHealthIndicator],
})
export class HealthModule {}
