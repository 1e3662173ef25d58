/**
 * Server names match case-insensitively with whitespace as hyphens (as MaxScale 2.2-2.4 documented
 * it; current MaxScale compares them exactly). A name becomes a KV key token, so after normalisation
 * it may hold only letters, digits, `-` and `_`.
 */
const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whitespace replaced by hyphens; case preserved (the name as it is shown). */
export function normalizeServerName(raw: string): string {
  return raw.trim().replace(/\s+/g, '-');
}

/** The token that identifies the server in keys and lookups: the normalised name in lower case. */
export function serverKeyToken(raw: string): string {
  return normalizeServerName(raw).toLowerCase();
}

/** Why `raw` cannot name a server, or undefined when it can. */
export function serverNameError(raw: string): string | undefined {
  const name = normalizeServerName(raw);
  if (name.startsWith('@@'))
    return `The name '${raw}' starts with '@@', which is a prefix reserved for MaxScale.`;
  if (SERVER_NAME_PATTERN.test(name)) return undefined;
  return `The name '${raw}' is not a valid server name: use 1 to 64 letters, digits, '-' or '_' (whitespace counts as '-')`;
}

export function sameServerName(a: string, b: string): boolean {
  return serverKeyToken(a) === serverKeyToken(b);
}
