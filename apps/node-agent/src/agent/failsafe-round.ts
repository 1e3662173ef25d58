import { Logger } from '@nestjs/common';
import { failsafeEndpointUrl } from '../../../../libs/domain/src/election/index.ts';
import { slotNameForMember } from '../../../../libs/domain/src/index.ts';
import { basicAuthToken } from '../../../../libs/basic-auth/src/index.ts';
import type { FailsafeNotices } from '../../../../libs/failsafe/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import type { ClusterObserver } from './cluster-observer.ts';

/** A member's election is asked over NATS first; most rounds happen while NATS itself is cut. */
const NATS_TIMEOUT_MS = 500;
/** Patroni's POST /failsafe: 2 s timeout and one retry; shorter here, as natroni's ttl is shorter. */
const HTTP_TIMEOUT_MS = 1_000;
const HTTP_ATTEMPTS = 2;
/** The longest a round can take: the NATS try, then every HTTP attempt, plus scheduling slack. */
export const FAILSAFE_ROUND_BUDGET_MS = NATS_TIMEOUT_MS + HTTP_TIMEOUT_MS * HTTP_ATTEMPTS + 500;

interface Notice {
  readonly name: string;
  readonly connUrl: string;
  readonly apiUrl: string;
  readonly slots: Record<string, number>;
}

export interface FailsafeRoundDeps {
  readonly config: MemberConfig;
  readonly cluster: ClusterObserver;
  readonly notices: FailsafeNotices;
  readonly connUrl: string;
  /** The primary's current WAL position, for the `slots` of the notice; undefined when unknown. */
  readonly walPosition: () => Promise<number | undefined>;
}

/**
 * The primary's failsafe check (docs/ha.md, "Failsafe mode"): every other member of the `failsafe`
 * key must accept this member as leader, each asked through its election over NATS, or, when that fails,
 * over HTTP: on the election's own `POST /failsafe` and on its api_url's (the gateway forwards that one
 * to the election over its own NATS connection).
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
    const notice: Notice = {
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

  private async ask(member: string, apiUrl: string, notice: Notice): Promise<string | undefined> {
    try {
      const reply = await this.deps.notices.send(member, notice, NATS_TIMEOUT_MS);
      return reply.accepted ? undefined : `${member} refused: ${reply.message}`;
    } catch {
      // Without NATS: the election's own endpoint (NATS down everywhere) and the gateway's (only this
      // node cut off) at once; either acceptance will do.
      const endpoints = [
        this.deps.cluster.electionFailsafeUrl(member),
        failsafeEndpointUrl(apiUrl),
      ].filter((url): url is string => url !== undefined);
      if (endpoints.length === 0) return `${member} has no failsafe endpoint`;
      const answers = await Promise.all(endpoints.map((url) => this.post(member, url, notice)));
      return answers.includes(undefined) ? undefined : answers.join('; ');
    }
  }

  private async post(member: string, url: string, notice: Notice): Promise<string | undefined> {
    const body = JSON.stringify({
      name: notice.name,
      conn_url: notice.connUrl,
      api_url: notice.apiUrl,
      slots: notice.slots,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const credentials = this.deps.config.restapi.authentication;
    if (credentials) headers.authorization = `Basic ${basicAuthToken(credentials)}`;
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
