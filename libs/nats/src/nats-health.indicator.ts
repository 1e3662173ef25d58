import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { NatsConnection } from '@nats-io/transport-node';
import { InjectNatsConnection } from './nats-connection.token.ts';

export const NATS_ROUND_TRIP_TIMEOUT_MS = 1_000;

/**
 * Reports the application's own NATS connection: down when it is closed or disconnected, or when a round
 * trip to the server does not complete in time; up with the round-trip time (`responseTime`, ms).
 */
@Injectable()
export class NatsHealthIndicator {
  constructor(
    @InjectNatsConnection() private readonly connection: NatsConnection,
    private readonly healthIndicatorService: HealthIndicatorService,
  ) {}

  isHealthy(): Promise<HealthIndicatorResult<'nats'>> {
    return Promise.resolve(
      this.healthIndicatorService
        .check('nats')
        .attempt(async () => {
          if (this.connection.isClosed()) throw new Error('connection closed');
          // rtt() throws at once while the client is disconnected.
          await this.connection.rtt();
          return { server: this.connection.getServer() };
        })
        .withTimeout(NATS_ROUND_TRIP_TIMEOUT_MS),
    );
  }
}
