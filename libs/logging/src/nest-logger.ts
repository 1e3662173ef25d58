import type { LoggerService } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
import { loggerParams } from './logger-params.ts';
import type { ServiceLogFields } from './service-log.ts';

/**
 * The logger to hand to `NestFactory.create`, so that Nest logs JSON lines from its first line on, a failed
 * start included (with `bufferLogs`, Nest prints its buffer in its own format when the start fails).
 */
export function createNestLogger(fields: ServiceLogFields): LoggerService {
  const params = loggerParams(fields);
  return new Logger(new PinoLogger(params), params);
}
