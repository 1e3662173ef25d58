/**
 * The longest delay a JavaScript timer honours: setTimeout runs at once when handed more than
 * 2^31 - 1 ms (about 24.8 days), so a restart scheduled a month ahead would fire immediately.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * How long to sleep before looking at the wall clock again on the way to `dueAtMs`: never more than
 * `recheckMs` (at most MAX_TIMER_DELAY_MS), so a far date is reached in steps and a clock that was
 * set meanwhile is noticed; never negative.
 */
export function timerDelayMs(dueAtMs: number, nowMs: number, recheckMs = 3_600_000): number {
  const remaining = dueAtMs - nowMs;
  if (!(remaining > 0)) return 0;
  return Math.min(remaining, recheckMs, MAX_TIMER_DELAY_MS);
}

/** A user's duration in milliseconds as a timer bound: capped at MAX_TIMER_DELAY_MS. */
export function boundedTimerMs(durationMs: number): number {
  if (!(durationMs > 0)) return 0;
  return Math.min(durationMs, MAX_TIMER_DELAY_MS);
}
