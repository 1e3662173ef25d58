/** Outcome of reading a requested time: the instant, or Patroni's error code and message. */
export type ScheduleResult =
  | { readonly ok: true; readonly atMs: number; readonly iso: string }
  | { readonly ok: false; readonly code: 400 | 422; readonly message: string };

const ISO_TIMESTAMP =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

export const UNPARSABLE_SCHEDULE =
  'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601';

function offsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

/** Formats an instant as Python's `isoformat()` of a UTC datetime. */
export function isoUtc(atMs: number): string {
  const text = new Date(atMs).toISOString();
  const millis = text.slice(20, 23);
  return `${text.slice(0, 19)}${millis === '000' ? '' : `.${millis}000`}+00:00`;
}

/**
 * Patroni's `parse_schedule` for ISO 8601 timestamps: no time zone → 400, in the past → 422,
 * unparsable → 422 (messages verbatim, `action` being "switchover" or "restart").
 */
export function parseSchedule(value: unknown, action: string, nowMs: number): ScheduleResult {
  const match = typeof value === 'string' ? ISO_TIMESTAMP.exec(value) : null;
  if (!match) return { ok: false, code: 422, message: UNPARSABLE_SCHEDULE };
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const fields = [year, month, day, hour ?? '0', minute ?? '0', second ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  const millis = Number((fraction ?? '0').padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(y, mo - 1, d, h, mi, s, millis);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return { ok: false, code: 422, message: UNPARSABLE_SCHEDULE };
  }
  if (zone === undefined) {
    return {
      ok: false,
      code: 400,
      message: `Timezone information is mandatory for the scheduled ${action}`,
    };
  }
  const offset = offsetMinutes(zone);
  if (Math.abs(offset) >= 24 * 60) return { ok: false, code: 422, message: UNPARSABLE_SCHEDULE };
  const atMs = local - offset * 60_000;
  if (atMs < nowMs)
    return { ok: false, code: 422, message: `Cannot schedule ${action} in the past` };
  return { ok: true, atMs, iso: isoUtc(atMs) };
}
