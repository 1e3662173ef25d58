import { readTimestamp } from '../../../libs/domain/src/index.ts';
import { CliFailure } from './exit-code.ts';

/** A time given to `--scheduled`: what patronictl sends (`isoformat()`) and prints. */
export interface ScheduledTime {
  /** ISO 8601 with the offset, e.g. 2030-01-01T12:00:00+02:00, as sent to the gateway. */
  readonly iso: string;
  /** Python's `str()` of the time, as patronictl's questions show it: a space instead of the T. */
  readonly text: string;
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${sign}${two(Math.floor(absolute / 60))}:${two(absolute % 60)}`;
}

/**
 * patronictl's `parse_scheduled`: `now` (or nothing) is no schedule; a time without a zone is in the
 * local one; what is no time is refused with patronictl's message.
 */
export function parseScheduled(value: string | undefined): ScheduledTime | undefined {
  if (value === undefined || value === '' || value === 'now') return undefined;
  const read = readTimestamp(value);
  if (!read)
    throw new CliFailure(
      `Unable to parse scheduled timestamp (${value}). It should be in an unambiguous format (e.g. ISO 8601)`,
    );
  const offset =
    read.offsetMinutes ??
    -new Date(
      read.year,
      read.month - 1,
      read.day,
      read.hour,
      read.minute,
      read.second,
    ).getTimezoneOffset();
  const two = (number: number) => String(number).padStart(2, '0');
  const date = `${String(read.year).padStart(4, '0')}-${two(read.month)}-${two(read.day)}`;
  const fraction = read.microsecond === 0 ? '' : `.${String(read.microsecond).padStart(6, '0')}`;
  const time = `${two(read.hour)}:${two(read.minute)}:${two(read.second)}${fraction}${offsetText(offset)}`;
  return { iso: `${date}T${time}`, text: `${date} ${time}` };
}

/** The example patronictl's question shows: an hour from now, local time, to the minute. */
export function nextHourExample(now = new Date()): string {
  const at = new Date(now.getTime() + 3_600_000);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`;
}
