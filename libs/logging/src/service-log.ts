import { destination, pino, stdTimeFunctions, type Logger } from 'pino';
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

/**
 * A pino logger writing JSON lines to stdout, with the service's fields on every line. `sync` writes each
 * line before returning, for a process that logs little and ends with `process.exit`: pino's asynchronous
 * stream can put the lines still in flight at exit after the last ones.
 */
export function createServiceLog(
  fields: ServiceLogFields,
  options: { sync?: boolean } = {},
): Logger {
  const settings = { base: { pid: process.pid, ...fields }, timestamp: stdTimeFunctions.isoTime };
  return options.sync ? pino(settings, destination({ dest: 1, sync: true })) : pino(settings);
}
