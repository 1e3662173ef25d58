import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { NatsHealthIndicator } from '../../nats/src/index.ts';

/** `GET /health`: 200 when every dependency of the service is up, 503 otherwise. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly nats: NatsHealthIndicator,
  ) {}

  @Get()
  // Without swagger documentation: it would load @nestjs/swagger (150 ms) in every service.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.nats.isHealthy()]);
  }
}
