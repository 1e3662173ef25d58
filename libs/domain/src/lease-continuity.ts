/**
 * The rules that let a lease survive a restart or a stall of the processes around a healthy primary,
 * and the one that ends a primary whose PostgreSQL stopped answering. All times are milliseconds on
 * the caller's own monotonic clock.
 */

/** The `leader` key as an election just read it. */
export type LeaderKeyReading =
  | { readonly kind: 'free' }
  | { readonly kind: 'held'; readonly member: string; readonly term: number }
  /** A value that does not decode as a lease record; `namesMember` is the `member` field, if any. */
  | { readonly kind: 'undecodable'; readonly namesMember: string | undefined };

export interface LeaseResumeFacts {
  /** The member this election runs for. */
  readonly member: string;
  readonly leaderKey: LeaderKeyReading;
  /** Its agent reports PostgreSQL running as primary (so the agent has not fenced it). */
  readonly postgresRunningAsPrimary: boolean;
}

export type LeaseResumeVerdict =
  | { readonly resume: true; readonly term: number }
  /** `report`: a reason that deserves a warning (a record naming this member that does not decode). */
  | { readonly resume: false; readonly reason: string; readonly report: boolean };

/**
 * Whether an election that has just started takes over the lease its member already holds, with the
 * same term, by compare-and-set on the revision it read. That write is a renewal made by a new process:
 * it succeeds only if nobody wrote the key since the last renewal, and a contender may write the key
 * only after it saw that revision unchanged for ttl. The lease has lapsed on this node once its agent
 * fenced PostgreSQL (the agent does so a margin before any contender may take over), hence the
 * condition on PostgreSQL still running as primary.
 */
export function leaseResumeVerdict(facts: LeaseResumeFacts): LeaseResumeVerdict {
  const key = facts.leaderKey;
  if (key.kind === 'free') return { resume: false, reason: 'the lease is free', report: false };
  if (key.kind === 'undecodable') {
    return key.namesMember === facts.member
      ? {
          resume: false,
          reason: `the leader key names ${facts.member} but its record does not decode: treated as a lapsed lease`,
          report: true,
        }
      : { resume: false, reason: 'the leader key holds a malformed value', report: false };
  }
  if (key.member !== facts.member) {
    return { resume: false, reason: `${key.member} holds the lease`, report: false };
  }
  if (!facts.postgresRunningAsPrimary) {
    return {
      resume: false,
      reason: `my PostgreSQL is not running as primary: lease term ${key.term} is treated as lapsed`,
      report: false,
    };
  }
  return { resume: true, term: key.term };
}

/**
 * A timer that fires this much later than it was set for means the agent's process did not run in
 * between (SIGSTOP, a VM paused, swapping): the lease renewals that arrived meanwhile have not been
 * read yet, so the agent must look before it fences. Ordinary event-loop delay on a loaded machine
 * stays well below a quarter of the margin.
 */
export function wokeFromStall(lateByMs: number, marginMs: number): boolean {
  return lateByMs >= marginMs / 4;
}

/**
 * The agent's deadline from the holder's own answer: asked at `askedAtMs`, the holder said its hold
 * runs for `validForMs` more. The holder answered after it was asked, so this instant comes no later
 * than the holder's own deadline (sent + ttl − margin), which precedes any takeover by a margin.
 */
export function confirmedDeadline(askedAtMs: number, validForMs: number): number {
  return askedAtMs + Math.max(0, validForMs);
}

/**
 * How long a primary's PostgreSQL may leave a `SELECT 1` on an established connection unanswered
 * before its agent fences it: half the ttl, and never less than 2 s. `SELECT 1` touches neither disk
 * nor locks, so a healthy server under heavy load still answers it within milliseconds; one that does
 * not for seconds is stopped or stuck in the kernel (a hung disk). Half the ttl keeps the write gap of
 * such a fault (bound + fence + a replica's promotion) within about the ttl that a dead node costs.
 */
export function unansweredBoundMs(ttlMs: number): number {
  return Math.max(2_000, ttlMs / 2);
}

/**
 * After fencing an unanswering PostgreSQL, its agent keeps it stopped until another member leads, so
 * that a healthy replica wins the race; if none has taken over within twice the ttl (no replica may),
 * PostgreSQL may start again and this member race like any other.
 */
export function restartAfterUnansweredFence(facts: {
  readonly fencedAtMs: number;
  readonly nowMs: number;
  readonly ttlMs: number;
  /** Another member holds the lease now. */
  readonly otherLeader: boolean;
}): { readonly allowed: true } | { readonly allowed: false; readonly reason: string } {
  if (facts.otherLeader) return { allowed: true };
  const waitMs = 2 * facts.ttlMs;
  const elapsed = facts.nowMs - facts.fencedAtMs;
  if (elapsed >= waitMs) return { allowed: true };
  return {
    allowed: false,
    reason: `PostgreSQL was fenced ${Math.round(elapsed)} ms ago for not answering: it starts again once another member leads, or after ${waitMs} ms`,
  };
}
