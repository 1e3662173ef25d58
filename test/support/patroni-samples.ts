import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Responses captured from a real Patroni 3.0.2 cluster (their README says how). */
const SAMPLES = resolve(__dirname, 'patroni-3.0.2');

export interface Sample {
  status: number;
  body: string;
}

/** A captured Patroni 3.0.2 response: its status code and body. */
export function sample(file: string): Sample {
  const text = readFileSync(`${SAMPLES}/${file}`, 'utf8').replace(/\r\n/g, '\n');
  const status = Number(/^HTTP\/1\.0 (\d{3})/.exec(text)?.[1]);
  const split = text.indexOf('\n\n');
  return { status, body: split === -1 ? '' : text.slice(split + 2) };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Every key of the sample is in `actual` with the same JSON type, recursively (lists compare their
 * first elements). Returns the differences, empty when the shapes agree. `nullable` keys may be null
 * on either side.
 */
export function shapeDifferences(
  expected: unknown,
  actual: unknown,
  path = '$',
  nullable: ReadonlySet<string> = new Set(['replayed_timestamp']),
): string[] {
  const key = path.split('.').pop() ?? '';
  if (nullable.has(key) && (expected === null || actual === null)) return [];
  if (typeOf(expected) !== typeOf(actual))
    return [`${path}: expected ${typeOf(expected)}, got ${typeOf(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return [];
    return shapeDifferences(expected[0], actual[0], `${path}[0]`, nullable);
  }
  if (typeOf(expected) !== 'object') return [];
  const differences: string[] = [];
  const want = expected as Record<string, unknown>;
  const got = actual as Record<string, unknown>;
  for (const name of Object.keys(want)) {
    if (!(name in got)) differences.push(`${path}.${name}: missing`);
    else differences.push(...shapeDifferences(want[name], got[name], `${path}.${name}`, nullable));
  }
  return differences;
}
