/**
 * The lease term is the fencing token: an agent remembers the highest term it has seen,
 * from commands and from the `leader` key, and refuses a role-changing command with a lower one.
 */
export type TermVerdict =
  | { accepted: true; highestTerm: number }
  | { accepted: false; reason: 'missing' | 'stale'; message: string };

export function judgeTerm(highestSeen: number, term: number): TermVerdict {
  if (Number.isInteger(term) && term < highestSeen) {
    return {
      accepted: false,
      reason: 'stale',
      message: `term ${term} is older than term ${highestSeen} already seen`,
    };
  }
  if (!Number.isInteger(term) || term <= 0) {
    return {
      accepted: false,
      reason: 'missing',
      message: 'a role-changing command must carry the lease term (a positive integer)',
    };
  }
  return { accepted: true, highestTerm: term };
}

/** The new highest term after seeing `term` anywhere (a command or the `leader` key). */
export function raiseTerm(highestSeen: number, term: number | undefined): number {
  return term !== undefined && term > highestSeen ? term : highestSeen;
}
