import type { JsonObject } from './proto-types.ts';

export type BodyResult =
  | { readonly ok: true; readonly body: JsonObject }
  | { readonly ok: false; readonly code: 400 | 411 };

/**
 * `_read_json_content`: a JSON object is required; without Content-Length a mandatory body is 411
 * and an optional one is `{}`; an empty object where a body is mandatory is 400.
 */
export function readJsonBody(
  text: string | undefined,
  hasContentLength: boolean,
  mandatory: boolean,
): BodyResult {
  if (!hasContentLength) return mandatory ? { ok: false, code: 411 } : { ok: true, body: {} };
  if (text === undefined || text === '')
    return mandatory ? { ok: false, code: 400 } : { ok: true, body: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, code: 400 };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, code: 400 };
  const body = parsed as JsonObject;
  if (mandatory && Object.keys(body).length === 0) return { ok: false, code: 400 };
  return { ok: true, body };
}

/** Patroni's lenient booleans for `POST /reinitialize`: true, on, yes, 1 (any case) or a true JSON. */
export function lenientBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  return typeof value === 'string' && ['true', 'on', 'yes', '1'].includes(value.toLowerCase());
}
