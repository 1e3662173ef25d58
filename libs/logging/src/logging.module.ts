import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams } from './logger-params.ts';
import type { ServiceLogFields } from './service-log.ts';

/**
 * Structured logging with nestjs-pino, registered once per process. It makes `PinoLogger` injectable
 * everywhere; Nest's own `Logger` writes through pino once the application uses `createNestLogger`.
 */
@Module({})
export class LoggingModule {
  static forRoot(fields: ServiceLogFields): DynamicModule {
    return { module: LoggingModule, imports: [LoggerModule.forRoot(loggerParams(fields))] };
  }
}
