/**
 * The timing rules of the leader lease (docs/design.md, lease). All times are milliseconds on
 * the caller's own monotonic clock; no two processes ever compare clocks.
 *
 * The holder times from when it SENT its last successful renewal; a contender times from when it
 * RECEIVED the revision that renewal produced, which is later in real time. So the holder's belief
 * ends at least `margin` before any contender may take over.
 */

/**
 * The margin absorbs what separates "the holder's deadline passed" from "the holder stopped acting as
 * primary": timer and event-loop latency, sending the demote to the agent, and the rate difference
 * between two monotonic clocks (parts per million). A tenth of the ttl, between 0.5 s and 5 s, covers
 * those on a loaded 2-core machine without eating much of a short ttl.
 */
export function leaseMarginMs(ttlMs: number): number {
  return Math.min(5_000, Math.max(500, ttlMs / 10));
}

/** How long after a renewal the lease counts as held by the holder's own rule: ttl − margin. */
export function holderValidityMs(ttlMs: number, marginMs: number): number {
  return ttlMs - marginMs;
}

/** The last instant at which the holder may still count itself leader. */
export function holderDeadline(renewalSentAtMs: number, ttlMs: number, marginMs: number): number {
  return renewalSentAtMs + holderValidityMs(ttlMs, marginMs);
}

/**
 * Until when a member that RECEIVED the holder's renewal at `receivedAtMs` counts the lease as held:
 * the holder's rule timed from receipt. An agent fences its primary by it; readers report the lease
 * valid by it.
 */
export function observerDeadline(
  receivedAtMs: number,
  ttlMs: number,
  marginMs: number = leaseMarginMs(ttlMs),
): number {
  return receivedAtMs + holderValidityMs(ttlMs, marginMs);
}

/** The first instant at which a contender may take over a revision it first saw at `seenAtMs`. */
export function takeoverDueAt(seenAtMs: number, ttlMs: number): number {
  return seenAtMs + ttlMs;
}

/** Whether a revision first seen at `seenAtMs` may be taken over at `nowMs`: the lease is no longer live. */
export function takeoverDue(seenAtMs: number, ttlMs: number, nowMs: number): boolean {
  return nowMs >= takeoverDueAt(seenAtMs, ttlMs);
}

/**
 * When the cluster became leaderless, for a failover's duration: at a release (a delete) the moment
 * it was seen, otherwise when the takeover of the last revision seen fell due.
 */
export function leaderlessSince(seenAtMs: number, released: boolean, ttlMs: number): number {
  return released ? seenAtMs : takeoverDueAt(seenAtMs, ttlMs);
}

/** The time left until `untilMs`, never negative: what a timer waits. */
export function msUntil(untilMs: number, nowMs: number): number {
  return Math.max(0, untilMs - nowMs);
}

/** Renew often enough that two attempts fit in the holder's validity window even if one fails. */
export function renewalIntervalMs(ttlMs: number, marginMs: number): number {
  return Math.max(100, (ttlMs - marginMs) / 3);
}
