import { Logger } from '@nestjs/common';
import { failsafeEndpointUrl } from '../../../../libs/domain/src/election/index.ts';
import { slotNameForMember } from '../../../../libs/domain/src/index.ts';
import { FailsafeNotices } from '../../../../libs/failsafe/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import type { ClusterObserver } from './cluster-observer.ts';

/** A member's election is asked over NATS first; most rounds happen while NATS itself is cut. */
const NATS_TIMEOUT_MS = 500;
/** Patroni's POST /failsafe: 2 s timeout and one retry; shorter here, as natroni's ttl is shorter. */
const HTTP_TIMEOUT_MS = 1_000;
const HTTP_ATTEMPTS = 2;
/** The longest a round can take: the NATS try, then every HTTP attempt, plus scheduling slack. */
export const FAILSAFE_ROUND_BUDGET_MS = NATS_TIMEOUT_MS + HTTP_TIMEOUT_MS * HTTP_ATTEMPTS + 500;

export interface FailsafeRoundDeps {
  readonly config: MemberConfig;
  readonly cluster: ClusterObserver;
  readonly notices: FailsafeNotices;
  readonly connUrl: string;
  /** The primary's current WAL position, for the `slots` of the notice; undefined when unknown. */
  readonly walPosition: () => Promise<number | undefined>;
}

/**
 * The primary's failsafe check (reference/patroni-api.md §5.9): every other member of the `failsafe`
 * key must accept this member as leader, each asked through its election over NATS, or, when that fails,
 * through `POST /failsafe` on its api_url (the gateway forwards it to the election).
 */
export class FailsafeRound {
  private readonly logger = new Logger('FailsafeRound');

  constructor(private readonly deps: FailsafeRoundDeps) {}

  /** Whether a round may keep this member primary at all: failsafe mode on and the key naming it. */
  applies(): boolean {
    const topology = this.deps.cluster.failsafeTopology;
    return this.deps.cluster.failsafeMode && topology?.[this.deps.config.name] !== undefined;
  }

  /** Undefined when every member accepted; otherwise why not. */
  async run(): Promise<string | undefined> {
    const { config, cluster } = this.deps;
    const topology = cluster.failsafeTopology;
    if (!cluster.failsafeMode) return 'failsafe mode is off';
    if (topology?.[config.name] === undefined)
      return `the failsafe key does not name ${config.name}`;
    const position = await this.deps.walPosition().catch(() => undefined);
    const notice = {
      name: config.name,
      connUrl: this.deps.connUrl,
      apiUrl: `http://${config.restapi.connect_address}/patroni`,
      slots: position === undefined ? {} : { [slotNameForMember(config.name)]: position },
    };
    const others = Object.entries(topology).filter(([name]) => name !== config.name);
    const refusals = await Promise.all(
      others.map(([name, apiUrl]) => this.ask(name, apiUrl, notice)),
    );
    const refused = refusals.filter((reason) => reason !== undefined);
    if (refused.length > 0) return refused.join('; ');
    this.logger.log({
      msg: `continue to run as a leader because failsafe mode is enabled and all members are accessible (${others.map(([name]) => name).join(', ') || 'no other member'})`,
    });
    return undefined;
  }

  private async ask(
    member: string,
    apiUrl: string,
    notice: { name: string; connUrl: string; apiUrl: string; slots: Record<string, number> },
  ): Promise<string | undefined> {
    try {
      const reply = await this.deps.notices.send(member, notice, NATS_TIMEOUT_MS);
      return reply.accepted ? undefined : `${member} refused: ${reply.message}`;
    } catch {
      return this.askOverHttp(member, apiUrl, notice);
    }
  }

  private async askOverHttp(
    member: string,
    apiUrl: string,
    notice: { name: string; connUrl: string; apiUrl: string; slots: Record<string, number> },
  ): Promise<string | undefined> {
    const url = failsafeEndpointUrl(apiUrl);
    if (!url) return `${member} has no usable api_url (${apiUrl})`;
    const body = JSON.stringify({
      name: notice.name,
      conn_url: notice.connUrl,
      api_url: notice.apiUrl,
      slots: notice.slots,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const credentials = this.deps.config.restapi.authentication;
    if (credentials) {
      const token = Buffer.from(`${credentials.username}:${credentials.password}`).toString(
        'base64',
      );
      headers.authorization = `Basic ${token}`;
    }
    let failure = '';
    for (let attempt = 1; attempt <= HTTP_ATTEMPTS; attempt += 1) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
        const text = await response.text();
        if (response.status === 200 && text === 'Accepted') return undefined;
        return `${member} answered POST ${url} with ${response.status} ${text.slice(0, 200)}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    this.logger.warn({ msg: `Request failed to ${member}: POST ${url} (${failure})` });
    return `${member} did not answer POST ${url}: ${failure}`;
  }
}
