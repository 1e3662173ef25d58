import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import { takeoverDueAt } from '../../../libs/domain/src/index.ts';
import { create } from '@bufbuild/protobuf';
import type { Subscription } from '@nats-io/nats-core';
import { AgentUnreachableError } from '../../../libs/agent-client/src/index.ts';
import { electionKey, type ClusterView } from '../../../libs/dcs/src/index.ts';
import { FailsafeNotices } from '../../../libs/failsafe/src/index.ts';
import {
  ElectionEndpointSchema,
  FailsafeReplySchema,
  type FailsafeNotice,
  type FailsafeReply,
  type MemberStatus,
} from '../../../libs/proto/src/index.ts';
import { timingsOf, type ElectionContext } from './election-context.ts';
import { walPositionOf } from './peer-probe.ts';

/** Short: the notice's sender has a round budget of a few seconds for every member. */
const AGENT_STATUS_TIMEOUT_MS = 300;

interface Grant {
  readonly leader: string;
  readonly until: number;
}

/**
 * A replica's side of failsafe mode (docs/ha.md, "Failsafe mode"): a notice from a primary that
 * cannot reach the `leader` key proves it alive for the next ttl. Until then this member follows it and
 * stays out of the leader race, which is what lets that primary stay writable.
 */
@Injectable()
export class FailsafeGrants {
  private grant: Grant | undefined;
  private subscription: Subscription | undefined;

  constructor(
    @Inject(ELECTION_CONTEXT) private readonly context: ElectionContext,
    private readonly notices: FailsafeNotices,
  ) {}

  /**
   * Answers notices over NATS, and publishes where this election's own POST /failsafe listens (`http`)
   * for when NATS is down for everyone; no address when it listens on a wildcard, which other members
   * cannot connect to.
   */
  async start(http: { readonly host: string; readonly port: number }): Promise<void> {
    const { context } = this;
    this.subscription = this.notices.answer(context.member, (notice) => this.decide(notice));
    const reachable = !['0.0.0.0', '::', ''].includes(http.host);
    const authority = http.host.includes(':')
      ? `[${http.host}]:${http.port}`
      : `${http.host}:${http.port}`;
    await context.store.put(
      electionKey(context.member),
      create(ElectionEndpointSchema, {
        failsafeUrl: reachable ? `http://${authority}/failsafe` : '',
      }),
    );
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  /** The primary that called within ttl, if any. */
  leader(now = performance.now()): string | undefined {
    const grant = this.grant;
    return grant && now < grant.until ? grant.leader : undefined;
  }

  /** Accepts or refuses `notice`; the same decision over NATS and over the election's HTTP endpoint. */
  async decide(notice: FailsafeNotice): Promise<FailsafeReply> {
    const { context } = this;
    const view = context.watch.view;
    if (view.config?.value.failsafeMode !== true)
      return create(FailsafeReplySchema, { accepted: false, message: 'failsafe mode is disabled' });
    if (notice.name === '' || notice.name === context.member)
      return create(FailsafeReplySchema, {
        accepted: false,
        message: `a failsafe notice must name another member than ${context.member}`,
      });
    const status = await this.ownStatus(view);
    if (!status)
      return create(FailsafeReplySchema, {
        accepted: false,
        message: `the status of ${context.member} is unknown`,
      });
    if (status.state === 'running' && status.role === 'primary')
      return create(FailsafeReplySchema, { accepted: false, message: 'Running as a leader' });
    const ttlMs = timingsOf(view, context.config).ttlMs;
    if (this.leader() !== notice.name)
      context.logger.warn({
        msg: `failsafe: ${notice.name} still runs as primary without reaching the leader key; following it and not racing while it calls`,
      });
    // A notice counts as a renewal of the old primary's lease seen now.
    this.grant = { leader: notice.name, until: takeoverDueAt(performance.now(), ttlMs) };
    return create(FailsafeReplySchema, { accepted: true, lsn: walPositionOf(status) });
  }

  /**
   * From the agent, or, when NATS is down, as the agent last published it: without NATS no one can
   * have promoted this member since, as promotions are asked of the agent over NATS.
   */
  private async ownStatus(view: ClusterView): Promise<MemberStatus | undefined> {
    const { context } = this;
    try {
      const reply = await context.agents.of(context.member).status(AGENT_STATUS_TIMEOUT_MS);
      return reply.status;
    } catch (error) {
      if (!(error instanceof AgentUnreachableError)) throw error;
      return view.members.get(context.member)?.value;
    }
  }
}
