/**
 * A point in time as people write it, read the way Patroni reads one (python-dateutil's parser): ISO
 * 8601 with `T` or a space, the compact ISO form, `/` between date parts, month names in either order,
 * an optional weekday, and an optional zone (`Z`, `UTC`, `GMT`, `+01`, `+0100`, `+01:00`, `-3`).
 */
export interface TimestampText {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  /** Minutes east of UTC; undefined when the text names no zone. */
  readonly offsetMinutes: number | undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAY = String.raw`(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?`;

interface DateForm {
  readonly pattern: RegExp;
  readonly fields: (match: RegExpExecArray) => [string, string, string] | undefined;
}

/** Each form captures year, month and day; what follows the date is read by `TIME_AND_ZONE`. */
const DATE_FORMS: readonly DateForm[] = [
  {
    pattern: /^(\d{4})-(\d{1,2})-(\d{1,2})/,
    fields: (m) => [group(m, 1), group(m, 2), group(m, 3)],
  },
  {
    pattern: /^(\d{4})\/(\d{1,2})\/(\d{1,2})/,
    fields: (m) => [group(m, 1), group(m, 2), group(m, 3)],
  },
  {
    pattern: /^(\d{4})(\d{2})(\d{2})(?=T|\s|$)/i,
    fields: (m) => [group(m, 1), group(m, 2), group(m, 3)],
  },
  {
    pattern: new RegExp(String.raw`^${WEEKDAY}(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})`, 'i'),
    fields: (m) => monthFields(group(m, 3), group(m, 2), group(m, 1)),
  },
  {
    pattern: new RegExp(String.raw`^${WEEKDAY}([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})`, 'i'),
    fields: (m) => monthFields(group(m, 3), group(m, 1), group(m, 2)),
  },
];

const TIME_AND_ZONE =
  /^(?:(?:T|\s+)(?:(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?|(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?))?\s*(Z|UTC|GMT|UT|[+-]\d{1,2}(?::?\d{2})?)?\s*$/i;

function group(match: RegExpExecArray, index: number): string {
  return match[index] ?? '';
}

function monthFields(
  year: string,
  monthName: string,
  day: string,
): [string, string, string] | undefined {
  const index = MONTHS.findIndex((prefix) => monthName.toLowerCase().startsWith(prefix));
  return index < 0 ? undefined : [year, String(index + 1), day];
}

function zoneOffset(zone: string | undefined): number | undefined {
  if (zone === undefined) return undefined;
  if (/^(Z|UTC|GMT|UT)$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours =
    digits.length === 1 || digits.length === 3 ? digits.slice(0, 1) : digits.slice(0, 2);
  const minutes = digits.slice(hours.length);
  return sign * (Number(hours) * 60 + Number(minutes || '0'));
}

/** Reads `text`, or undefined when it is no valid date and time. */
export function readTimestamp(text: string): TimestampText | undefined {
  const trimmed = text.trim();
  for (const form of DATE_FORMS) {
    const dateMatch = form.pattern.exec(trimmed);
    const date = dateMatch ? form.fields(dateMatch) : undefined;
    if (!dateMatch || !date) continue;
    const rest = TIME_AND_ZONE.exec(trimmed.slice(dateMatch[0].length));
    if (!rest) return undefined;
    const [, hour, minute, second, fraction, compactHour, compactMinute, compactSecond] = rest;
    const compactFraction = rest[8];
    const read: TimestampText = {
      year: Number(date[0]),
      month: Number(date[1]),
      day: Number(date[2]),
      hour: Number(hour ?? compactHour ?? '0'),
      minute: Number(minute ?? compactMinute ?? '0'),
      second: Number(second ?? compactSecond ?? '0'),
      microsecond: Number((fraction ?? compactFraction ?? '0').padEnd(6, '0').slice(0, 6)),
      offsetMinutes: zoneOffset(rest[9]),
    };
    return isValid(read) ? read : undefined;
  }
  return undefined;
}

function isValid(read: TimestampText): boolean {
  const check = new Date(Date.UTC(read.year, read.month - 1, read.day));
  return (
    check.getUTCFullYear() === read.year &&
    check.getUTCMonth() === read.month - 1 &&
    check.getUTCDate() === read.day &&
    read.hour <= 23 &&
    read.minute <= 59 &&
    read.second <= 59 &&
    Math.abs(read.offsetMinutes ?? 0) < 24 * 60
  );
}

/** The instant in milliseconds since the epoch, reading a zoneless text in `offsetMinutes`. */
export function timestampMs(read: TimestampText, offsetMinutes = read.offsetMinutes ?? 0): number {
  const local = Date.UTC(
    read.year,
    read.month - 1,
    read.day,
    read.hour,
    read.minute,
    read.second,
    Math.floor(read.microsecond / 1_000),
  );
  return local - offsetMinutes * 60_000;
}
