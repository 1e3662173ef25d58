import { Logger } from '@nestjs/common';
import { failsafeRoundDueAt } from '../../../../libs/domain/src/election/index.ts';
import {
  confirmedDeadline,
  holderValidityMs,
  leaseMarginMs,
  observerDeadline,
  wokeFromStall,
} from '../../../../libs/domain/src/index.ts';
import type { LeaseConfirmation } from '../../../../libs/proto/src/index.ts';
import type { ClusterObserver, LeaderSighting } from './cluster-observer.ts';
import { FAILSAFE_ROUND_BUDGET_MS, type FailsafeRound } from './failsafe-round.ts';
import type { PostgresStateMachine } from './postgres-state-machine.ts';

/**
 * Self-fencing (docs/design.md, "Fencing"). While PostgreSQL runs as primary under lease term
 * `term`, the `leader` key must name this member with that term, and a new revision of it (a renewal)
 * must have ARRIVED within ttl − margin on this agent's own clock: the same observer timing contenders
 * use, so this deadline falls a margin before any of them may take over. Otherwise `onBreach` demotes.
 *
 * With failsafe mode on, a deadline near without a renewal starts a failsafe round instead: when every
 * member of the `failsafe` key accepts this member as leader, none of them races for ttl after it
 * accepted, so the deadline moves to the round's start + ttl − margin. A refusal demotes at once.
 *
 * Renewals can go unseen while the election makes them: an agent that was stopped (SIGSTOP, a paused
 * VM) wakes with its deadline timer overdue and the renewals that arrived meanwhile still unread, and
 * a KV watch whose consumer sat on a NATS server that became unreachable delivers nothing until the
 * client replaces it. So at its deadline, before fencing, the agent asks its own election once, which
 * answers by the holder's rule (last renewal sent + ttl − margin); a confirmed hold moves the deadline
 * to the asking time + the time the hold has left. No answer within half the margin, a hold under
 * another term, or none at all: it fences.
 */
export type HolderConfirmation = (timeoutMs: number) => Promise<LeaseConfirmation | undefined>;

export class LeaseFence {
  private readonly logger = new Logger('LeaseFence');
  private term: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private breached = false;
  private confirmedUntil = 0;
  private round: Promise<void> | undefined;
  private refusal: string | undefined;
  private confirming = false;
  /** The deadline the election was last asked about: it is asked once per deadline, then fenced. */
  private askedForDeadline: number | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly member: string,
    private readonly cluster: ClusterObserver,
    private readonly machine: PostgresStateMachine,
    private readonly onBreach: (reason: string) => Promise<void>,
    private readonly failsafe?: FailsafeRound,
    private readonly confirmWithHolder?: HolderConfirmation,
  ) {
    this.unsubscribe = cluster.onLeader((sighting) => this.check(sighting));
  }

  /** PostgreSQL now runs as primary under `term`: start requiring its renewals. */
  arm(term: number): void {
    this.term = term;
    this.breached = false;
    this.confirmedUntil = 0;
    this.refusal = undefined;
    this.check(this.cluster.leader);
  }

  /** PostgreSQL no longer runs as primary. */
  disarm(): void {
    this.term = undefined;
    clearTimeout(this.timer);
  }

  get armedTerm(): number | undefined {
    return this.term;
  }

  close(): void {
    this.disarm();
    this.unsubscribe();
  }

  /** `lateByMs`: how much later than it was set for the timer that called this fired. */
  private check(sighting: LeaderSighting, lateByMs = 0): void {
    clearTimeout(this.timer);
    if (this.term === undefined || this.breached) return;
    const role = this.machine.role;
    if (role !== 'primary' && role !== 'promoted') return this.disarm();
    const record = sighting.record;
    if (record === undefined) {
      return this.breach('the leader key is absent');
    }
    if (record.member !== this.member || record.term !== this.term) {
      return this.breach(
        `the leader key names ${record.member} with term ${record.term}, not ${this.member} with term ${this.term}`,
      );
    }
    const ttlMs = record.ttl > 0 ? record.ttl * 1_000 : this.cluster.ttlMs;
    const marginMs = leaseMarginMs(ttlMs);
    const renewedUntil = observerDeadline(sighting.receivedAt, ttlMs, marginMs);
    const deadline = Math.max(renewedUntil, this.confirmedUntil);
    const now = performance.now();
    const failsafe = this.failsafe?.applies() ? this.failsafe : undefined;
    const roundDueAt = failsafeRoundDueAt(deadline, FAILSAFE_ROUND_BUDGET_MS);
    if (failsafe && now >= roundDueAt) {
      if (this.refusal !== undefined) return this.breach(`failsafe: ${this.refusal}`);
      if (!this.round) this.startRound(failsafe, now, holderValidityMs(ttlMs, marginMs));
    } else {
      this.refusal = undefined;
    }
    if (now >= deadline) {
      if (this.confirming) return;
      if (this.confirmWithHolder && this.askedForDeadline !== deadline) {
        this.askedForDeadline = deadline;
        return this.confirm(this.confirmWithHolder, this.term, lateByMs, marginMs);
      }
      return this.breach(
        `no renewal of the lease received for ${Math.round(holderValidityMs(ttlMs, marginMs))} ms`,
      );
    }
    // Also when failsafe mode is off: it may be turned on before the deadline.
    const next = !this.round && now < roundDueAt ? roundDueAt : deadline;
    this.timer = setTimeout(
      () => this.check(this.cluster.leader, performance.now() - next),
      next - now,
    );
  }

  private confirm(ask: HolderConfirmation, term: number, lateByMs: number, marginMs: number): void {
    const timeoutMs = marginMs / 2;
    this.confirming = true;
    const askedAt = performance.now();
    void ask(timeoutMs).then((answer) => {
      this.confirming = false;
      if (this.term !== term) return;
      if (answer?.held && answer.term === term) {
        this.confirmedUntil = Math.max(
          this.confirmedUntil,
          confirmedDeadline(askedAt, answer.validForMs),
        );
        this.logger.warn({
          msg: wokeFromStall(lateByMs, marginMs)
            ? `woke ${Math.round(lateByMs)} ms late: the election still holds lease term ${term} for ${Math.round(answer.validForMs)} ms, not fencing`
            : `no renewal of the leader key seen, but the election still holds lease term ${term} for ${Math.round(answer.validForMs)} ms, not fencing`,
          term,
        });
      }
      this.check(this.cluster.leader);
    });
  }

  private startRound(failsafe: FailsafeRound, startedAt: number, validForMs: number): void {
    this.round = failsafe
      .run()
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error)))
      .then((refusal) => {
        this.round = undefined;
        if (refusal === undefined) this.confirmedUntil = startedAt + validForMs;
        else this.refusal = refusal;
        this.check(this.cluster.leader);
      });
  }

  private breach(reason: string): void {
    this.breached = true;
    const term = this.term;
    this.disarm();
    this.logger.error({ msg: 'demoting PostgreSQL: the lease is not confirmed', reason, term });
    this.onBreach(reason).catch((error: unknown) => {
      this.logger.error({ msg: 'self-fencing demotion failed', err: error });
    });
  }
}
