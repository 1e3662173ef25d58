import { ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/**
 * Body of `POST /restart`. The values are checked by the domain rule (decideRestart), key by key in
 * Patroni's order and with its messages, so the DTO only declares them.
 */
export class RestartRequestDto {
  @ApiPropertyOptional({ description: 'ISO 8601 time with a time zone.' })
  @Allow()
  schedule?: unknown;

  @ApiPropertyOptional({ enum: ['primary', 'standby_leader', 'replica'] })
  @Allow()
  role?: unknown;

  @ApiPropertyOptional({
    description: 'Restart only if the running version is lower: X.Y or X.Y.Z.',
  })
  @Allow()
  postgres_version?: unknown;

  @ApiPropertyOptional({ description: 'Seconds (units ms, s, min, h, d accepted), > 0.' })
  @Allow()
  timeout?: unknown;

  @ApiPropertyOptional({
    description: 'Present (any value): restart only if a restart is pending.',
  })
  @Allow()
  restart_pending?: unknown;
}
