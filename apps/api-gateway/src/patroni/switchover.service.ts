import { create } from '@bufbuild/protobuf';
import { Inject, Injectable } from '@nestjs/common';
import { ClusterKeys, retryWithin, RevisionConflictError } from '../../../../libs/dcs/src/index.ts';
import { haTimings } from '../../../../libs/domain/src/election/index.ts';
import {
  decideFailover,
  hasNoFailover,
  isStatusFresh,
  tagsOf,
  type FailoverAction,
  type FailoverBody,
  type FailoverContext,
} from '../../../../libs/domain/src/index.ts';
import { FailoverRequestSchema } from '../../../../libs/proto/src/index.ts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway-settings.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';
import { switchoverProgress, unknownOutcome } from './switchover-outcome.ts';

export interface PlainOutcome {
  readonly status: number;
  readonly text: string;
}

/** Turns `POST /switchover|/failover` into the `failover` key and waits for the election's answer. */
@Injectable()
export class SwitchoverService {
  constructor(
    private readonly cluster: LiveCluster,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  async request(action: FailoverAction, body: FailoverBody): Promise<PlainOutcome> {
    const context = this.context();
    const decision = decideFailover(action, body, context);
    if (!decision.ok) throw new PatroniHttpError(decision.code, decision.message);
    const request = create(FailoverRequestSchema, {
      ...(decision.leader === undefined ? {} : { leader: decision.leader }),
      ...(decision.candidate === undefined ? {} : { member: decision.candidate }),
      ...(decision.scheduledAt === undefined ? {} : { scheduledAt: decision.scheduledAt }),
    });
    const previousLeader = context.leaderName;
    const outcome = this.waitForOutcome(decision.action, previousLeader, decision.candidate);
    try {
      const { retryTimeoutMs } = haTimings(this.cluster.view.config?.value);
      await retryWithin(retryTimeoutMs, () =>
        this.cluster.store.put(ClusterKeys.failover, request),
      );
    } catch {
      outcome.cancel();
      throw new PatroniHttpError(503, 'failed to write failover key into DCS');
    }
    if (decision.scheduledAt !== undefined) {
      outcome.cancel();
      return { status: 202, text: 'Switchover scheduled' };
    }
    return outcome.result;
  }

  /** `DELETE /switchover`: clears a scheduled request by compare-and-set. */
  async cancelScheduled(): Promise<PlainOutcome> {
    let stored;
    try {
      stored = await this.cluster.store.get(ClusterKeys.failover);
    } catch {
      throw PatroniHttpError.page(503);
    }
    if (!stored?.value.scheduledAt) return { status: 404, text: 'no switchover is scheduled' };
    try {
      await this.cluster.store.delete(ClusterKeys.failover, stored.revision);
    } catch (error) {
      if (error instanceof RevisionConflictError) throw PatroniHttpError.page(409);
      throw PatroniHttpError.page(503);
    }
    return { status: 200, text: 'scheduled switchover deleted' };
  }

  private context(): FailoverContext {
    const facts = this.cluster.facts();
    const now = performance.now();
    const members = this.cluster.memberNames().map((name) => {
      const member = this.cluster.member(name, now);
      return {
        name,
        hasApiUrl: (member.status?.apiUrl ?? '') !== '',
        reachable: isStatusFresh(member, facts),
        noFailover: hasNoFailover(tagsOf(member.status)),
      };
    });
    return {
      paused: facts.paused,
      nowMs: Date.now(),
      leaderName: facts.leaderName,
      synchronousMode: facts.synchronousMode,
      syncStandbys: facts.syncStandbys,
      members,
    };
  }

  private timeoutMs(): number {
    if (this.settings.switchoverTimeoutMs !== undefined) return this.settings.switchoverTimeoutMs;
    // Patroni's poll: 2 × max(10, loop_wait) seconds.
    const { loopWaitMs } = haTimings(this.cluster.view.config?.value);
    return 2 * Math.max(10_000, loopWaitMs);
  }

  /** Subscribes before the write, so that no change of the view can be missed. */
  private waitForOutcome(
    action: FailoverAction,
    previousLeader: string | undefined,
    candidate: string | undefined,
  ): { result: Promise<PlainOutcome>; cancel: () => void } {
    const timeoutMs = this.timeoutMs();
    let finish: (outcome: PlainOutcome) => void = () => undefined;
    let written = false;
    const result = new Promise<PlainOutcome>((resolve) => {
      finish = resolve;
    });
    const check = (): void => {
      if (!written) return;
      const progress = switchoverProgress(this.cluster.view, action, previousLeader, candidate);
      if (progress.done) done({ status: progress.status, text: progress.text });
    };
    const unsubscribe = this.cluster.onChange(() => {
      if (!written && this.cluster.view.failover) written = true;
      check();
    });
    const timer = setTimeout(
      () => done({ status: 503, text: unknownOutcome(action, timeoutMs) }),
      timeoutMs,
    );
    function done(outcome: PlainOutcome): void {
      clearTimeout(timer);
      unsubscribe();
      finish(outcome);
    }
    return { result, cancel: () => done({ status: 503, text: '' }) };
  }
}
