import type { Params } from 'nestjs-pino';
import { createServiceLog, type ServiceLogFields } from './service-log.ts';

export function loggerParams(fields: ServiceLogFields): Params {
  // One line per request is off: load balancers poll the health endpoints every few seconds.
  return { pinoHttp: { logger: createServiceLog(fields), autoLogging: false } };
}
