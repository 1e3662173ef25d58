import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { ServiceSettings } from '../../service-settings/src/index.ts';

/** The fields every log line of a service carries. */
export interface ServiceLogFields {
  readonly service: string;
  readonly scope?: string;
  readonly member?: string;
}

export function serviceLogFields(settings: ServiceSettings): ServiceLogFields {
  return {
    service: settings.service,
    scope: settings.scope,
    ...(settings.member === undefined ? {} : { member: settings.member }),
  };
}

/** A pino logger writing JSON lines to stdout, with the service's fields on every line. */
export function createServiceLog(fields: ServiceLogFields): Logger {
  return pino({
    base: { pid: process.pid, ...fields },
    timestamp: stdTimeFunctions.isoTime,
  });
}
