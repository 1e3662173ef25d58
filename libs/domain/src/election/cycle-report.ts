/**
 * When the HA loop logs the sentence of a cycle: at once when it differs from the last one logged,
 * and again every `repeatMs` while it stays the same, so that a quiet log never hides a stuck loop.
 */
export const CYCLE_REPORT_REPEAT_MS = 180_000;

export interface CycleReport {
  readonly sentence: string;
  /** Monotonic time at which it was logged. */
  readonly loggedAt: number;
}

export function cycleReportDue(
  last: CycleReport | undefined,
  sentence: string,
  now: number,
  repeatMs: number = CYCLE_REPORT_REPEAT_MS,
): boolean {
  return last === undefined || last.sentence !== sentence || now - last.loggedAt >= repeatMs;
}
