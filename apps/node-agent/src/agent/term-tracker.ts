import { judgeTerm, raiseTerm, type TermVerdict } from '../../../../libs/domain/src/index.ts';

/** The highest lease term this agent has seen, from commands and from the `leader` key. */
export class TermTracker {
  private highest = 0;

  get highestTerm(): number {
    return this.highest;
  }

  observe(term: number | undefined): void {
    this.highest = raiseTerm(this.highest, term);
  }

  /** Accepts (and records) `term` unless it is missing or older than one already seen. */
  admit(term: number): TermVerdict {
    const verdict = judgeTerm(this.highest, term);
    if (verdict.accepted) this.highest = verdict.highestTerm;
    return verdict;
  }
}
