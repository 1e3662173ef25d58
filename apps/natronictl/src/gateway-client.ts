import { CliFailure } from './exit-code.ts';

export interface GatewayReply {
  readonly status: number;
  readonly text: string;
}

export interface GatewayClientOptions {
  /** The gateway's cluster-wide listener, e.g. http://127.0.0.1:8080. */
  readonly baseUrl: string;
  readonly auth?: { readonly username: string; readonly password: string };
  /** Bound on each request; a switchover waits for its outcome, so this is generous. */
  readonly timeoutMs: number;
}

/**
 * HTTP to the gateway: cluster-wide requests to its own listener, member-scoped ones (restart, reload,
 * reinitialize) to the member's listener named by `/cluster`'s api_url.
 */
export class GatewayClient {
  constructor(private readonly options: GatewayClientOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async request(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    baseUrl = this.options.baseUrl,
  ): Promise<GatewayReply> {
    const url = new URL(path, baseUrl);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const { auth } = this.options;
    if (auth && method !== 'GET') {
      const token = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      headers['authorization'] = `Basic ${token}`;
    }
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      throw new CliFailure(`cannot reach ${url.origin}: ${reasonOf(error)}`);
    }
  }

  /** GET a JSON document; a status other than 200 is a refusal. */
  async getJson<T>(path: string): Promise<T> {
    const reply = await this.request('GET', path);
    if (reply.status !== 200) throw refusal(`GET ${path}`, reply);
    try {
      return JSON.parse(reply.text) as T;
    } catch {
      throw new CliFailure(`GET ${path}: the answer is not JSON: ${reply.text}`);
    }
  }
}

export function refusal(what: string, reply: GatewayReply): CliFailure {
  return new CliFailure(`${what} failed with status ${reply.status}: ${reply.text.trim()}`);
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : error.message;
}
