/// <reference lib="dom" />

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface ApiAnswer {
  readonly ok: boolean;
  readonly status: number;
  /** The API's own message: its body as sent, or what kept the request from reaching it. */
  readonly message: string;
}

const STORED_CREDENTIALS = 'natroni-status-page-credentials';

/** Kept for the browser tab only (sessionStorage), so that each action does not ask again. */
export function storedCredentials(): Credentials {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORED_CREDENTIALS) ?? 'null') as unknown;
    if (stored && typeof stored === 'object' && 'username' in stored && 'password' in stored)
      return { username: String(stored.username), password: String(stored.password) };
  } catch {
    // Unreadable storage: ask again.
  }
  return { username: '', password: '' };
}

export function storeCredentials(credentials: Credentials): void {
  sessionStorage.setItem(STORED_CREDENTIALS, JSON.stringify(credentials));
}

/**
 * A call to the REST API that serves this page (the path is relative to the gateway's root), with Basic
 * authentication when a user name is given.
 */
export async function callApi(
  method: 'POST' | 'PATCH',
  path: string,
  body: unknown,
  credentials: Credentials,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials.username !== '') {
    const token = btoa(`${credentials.username}:${credentials.password}`);
    headers['authorization'] = `Basic ${token}`;
  }
  try {
    const response = await fetch(new URL(path, location.origin), {
      method,
      headers,
      // The API's 401 carries a Basic challenge: with credentials omitted the browser shows the
      // answer instead of its own login prompt.
      credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = (await response.text()).trim();
    return { ok: response.ok, status: response.status, message: readable(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, status: 0, message: `the gateway did not answer: ${reason}` };
  }
}

/** Python's HTML error page (Patroni's `send_error`) shows as its message; other bodies as sent. */
function readable(text: string): string {
  if (!text.startsWith('<')) return text;
  const message = /<p>Message: (.*?)\.?<\/p>/.exec(text)?.[1];
  const code = /<p>Error code: (\d+)<\/p>/.exec(text)?.[1];
  return message ?? (code ? `error ${code}` : text);
}
