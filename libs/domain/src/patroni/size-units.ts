/**
 * Patroni's `parse_int(value, 'B')` for `?lag=`: an integer (decimal, 0x hex or 0-prefixed octal) or a
 * decimal number, optionally followed by a unit B, kB, MB, GB or TB (case-sensitive, 1024-based).
 * Returns the byte count rounded to an integer, or undefined when the text does not parse.
 */
const BYTE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

const TIME_UNITS_IN_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  min: 60,
  h: 3600,
  d: 86400,
};

const INTEGER = /^\s*([+-]?(?:0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*))(.*)$/i;
const DECIMAL = /^\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?)(.*)$/i;

function parseWithUnits(text: string, units: Readonly<Record<string, number>>): number | undefined {
  let value: number | undefined;
  let unit: string;
  const integer = INTEGER.exec(text);
  if (integer && !/^[.eE]/.test(integer[2] ?? '')) {
    value = parsePythonInt(integer[1] ?? '');
    unit = integer[2] ?? '';
  } else {
    const decimal = DECIMAL.exec(text);
    if (!decimal) return undefined;
    value = Number(decimal[1]);
    unit = decimal[2] ?? '';
  }
  if (value === undefined || !Number.isFinite(value)) return undefined;
  unit = unit.trim();
  if (unit === '') return Math.round(value);
  const factor = Object.hasOwn(units, unit) ? units[unit] : undefined;
  return factor === undefined ? undefined : Math.round(value * factor);
}

function parsePythonInt(literal: string): number | undefined {
  const negative = literal.startsWith('-');
  const digits = literal.replace(/^[+-]/, '');
  let value: number;
  if (/^0x/i.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits.startsWith('0')) value = parseInt(digits, 8);
  else value = parseInt(digits, 10);
  if (Number.isNaN(value)) return undefined;
  return negative ? -value : value;
}

/** Bytes of a `?lag=` value; undefined when unparsable (Patroni then applies no limit). */
export function parseByteSize(text: string): number | undefined {
  return parseWithUnits(text, BYTE_UNITS);
}

/** `?lag=` as a limit: unparsable or absent means no limit at all. */
export function maxLagFromQuery(text: string | undefined): number {
  if (text === undefined) return Number.POSITIVE_INFINITY;
  return parseByteSize(text) ?? Number.POSITIVE_INFINITY;
}

/** Patroni's `parse_int(value, 's')`: seconds, with units ms, s, min, h or d; numbers are taken as is. */
export function parseSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  return parseWithUnits(value, TIME_UNITS_IN_SECONDS);
}
