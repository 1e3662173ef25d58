import { readTimestamp, timestampMs } from './timestamp-text.ts';

/** Outcome of reading a requested time: the instant, or Patroni's error code and message. */
export type ScheduleResult =
  | { readonly ok: true; readonly atMs: number; readonly iso: string }
  | { readonly ok: false; readonly code: 400 | 422; readonly message: string };

export const UNPARSABLE_SCHEDULE =
  'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601';

/** Formats an instant as Python's `isoformat()` of a UTC datetime. */
export function isoUtc(atMs: number): string {
  const text = new Date(atMs).toISOString();
  const millis = text.slice(20, 23);
  return `${text.slice(0, 19)}${millis === '000' ? '' : `.${millis}000`}+00:00`;
}

/**
 * A stored timestamp as Patroni writes one (`isoformat()` in UTC: `+00:00`, microseconds unless
 * zero), whatever ISO form it was stored in; a text that is no timestamp is returned unchanged.
 */
export function patroniTimestamp(text: string): string {
  const read = readTimestamp(text);
  if (!read || read.offsetMinutes === undefined) return text;
  const iso = new Date(timestampMs(read)).toISOString().slice(0, 19);
  const micros = read.microsecond === 0 ? '' : `.${String(read.microsecond).padStart(6, '0')}`;
  return `${iso}${micros}+00:00`;
}

/**
 * Patroni's `parse_schedule`: any date its parser reads (see readTimestamp); no time zone → 400, in
 * the past → 422, unreadable → 422 (messages verbatim, `action` being "switchover" or "restart").
 */
export function parseSchedule(value: unknown, action: string, nowMs: number): ScheduleResult {
  const read = typeof value === 'string' ? readTimestamp(value) : undefined;
  if (!read) return { ok: false, code: 422, message: UNPARSABLE_SCHEDULE };
  if (read.offsetMinutes === undefined) {
    return {
      ok: false,
      code: 400,
      message: `Timezone information is mandatory for the scheduled ${action}`,
    };
  }
  const atMs = timestampMs(read);
  if (atMs < nowMs)
    return { ok: false, code: 422, message: `Cannot schedule ${action} in the past` };
  return { ok: true, atMs, iso: isoUtc(atMs) };
}
