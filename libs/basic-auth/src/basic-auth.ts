import { timingSafeEqual } from 'node:crypto';

/** Patroni's Basic auth check (`check_access`) against one set of credentials. */
export class BasicAuthCheck {
  private readonly expected: Buffer;

  constructor(credentials: { readonly username: string; readonly password?: string }) {
    const token = basicAuthToken(credentials);
    this.expected = Buffer.from(token);
  }

  /** Patroni's 401 message for this Authorization header, or undefined when it is right. */
  problem(header: string | undefined): string | undefined {
    if (header === undefined) return 'no auth header received';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6)) : Buffer.alloc(0);
    const same = given.length === this.expected.length && timingSafeEqual(given, this.expected);
    return same ? undefined : 'not authenticated';
  }
}

/** The base64 `username:password` that follows `Basic ` in an Authorization header. */
export function basicAuthToken(credentials: {
  readonly username: string;
  readonly password?: string;
}): string {
  return Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64');
}

/** The header Patroni answers a 401 with. */
export const BASIC_AUTH_CHALLENGE = { 'www-authenticate': 'Basic realm="Patroni"' } as const;
