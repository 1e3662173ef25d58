/**
 * libpq connection URLs as natroni passes them between its services: a member's `conn_url`
 * (`postgres://host:port/db`), or a standby cluster's remote primary, which may list several hosts
 * (`postgres://h1:5432,h2:5432/postgres?target_session_attrs=read-write`), a form the WHATWG URL
 * parser refuses.
 */

/** One host of a connection URL and its port (5432 when the URL names none). */
export interface ConnEndpoint {
  readonly host: string;
  readonly port: string;
}

export interface ConnTarget {
  readonly endpoints: readonly ConnEndpoint[];
  readonly dbname: string;
  /** The URL's query parameters, e.g. `target_session_attrs`. */
  readonly parameters: Readonly<Record<string, string>>;
}

const DEFAULT_PORT = '5432';

function endpointOf(text: string, url: string): ConnEndpoint {
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(text);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] || DEFAULT_PORT };
  const separator = text.lastIndexOf(':');
  const host = separator < 0 ? text : text.slice(0, separator);
  const port = separator < 0 ? '' : text.slice(separator + 1);
  if (host === '' || !/^\d*$/.test(port)) throw new Error(`invalid connection URL ${url}`);
  return { host: decodeURIComponent(host), port: port || DEFAULT_PORT };
}

/** Reads a `postgres://` or `postgresql://` URL with one host or several, comma-separated. */
export function parseConnUrl(url: string): ConnTarget {
  const match = /^postgres(?:ql)?:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?/.exec(url);
  if (!match) throw new Error(`invalid connection URL ${url}`);
  const authority = match[1].slice(match[1].lastIndexOf('@') + 1);
  if (authority === '') throw new Error(`invalid connection URL ${url}: no host`);
  return {
    endpoints: authority.split(',').map((text) => endpointOf(text, url)),
    dbname: decodeURIComponent(match[2] ?? ''),
    parameters: Object.fromEntries(new URLSearchParams(match[3] ?? '')),
  };
}
