import { Injectable } from '@nestjs/common';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';

/** The member-scoped actions the page offers; each is Patroni's endpoint of that name. */
export const MEMBER_ACTIONS = ['restart', 'reload'] as const;
export type MemberAction = (typeof MEMBER_ACTIONS)[number];

/** Beyond the gateway's own wait for a restart (310 s), the relay stops waiting. */
const RELAY_TIMEOUT_MS = 320_000;

export interface RelayedAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * `/restart` and `/reload` act on the member of the listener they arrive on, as in Patroni, and a page
 * served by one gateway may act on any member. The page's request is relayed to the member's own REST
 * API (its `api_url`, as natronictl does), with the page's Authorization header, and the API's answer
 * comes back unchanged: its status code, its message, its refusal of bad credentials.
 */
@Injectable()
export class MemberActionRelay {
  constructor(private readonly cluster: LiveCluster) {}

  async relay(
    member: string,
    action: MemberAction,
    body: string,
    authorization: string | undefined,
  ): Promise<RelayedAnswer> {
    const apiUrl = this.cluster.view.members.get(member)?.value.apiUrl;
    if (!apiUrl) return plain(404, `no member named ${member} has published a status`);
    let target: URL;
    try {
      target = new URL(`/${action}`, apiUrl);
    } catch {
      return plain(503, `${member}'s api_url is not a URL: ${apiUrl}`);
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization) headers['authorization'] = authorization;
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
      });
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? 'text/html',
        body: await response.text(),
      };
    } catch (error) {
      return plain(
        503,
        `cannot reach ${member}'s REST API at ${target.origin}: ${reasonOf(error)}`,
      );
    }
  }
}

function plain(status: number, body: string): RelayedAnswer {
  return { status, contentType: 'text/html', body };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : error.message;
}
