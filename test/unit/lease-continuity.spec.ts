import {
  confirmedDeadline,
  holderDeadline,
  leaseMarginMs,
  leaseResumeVerdict,
  restartAfterUnansweredFence,
  takeoverDueAt,
  unansweredBoundMs,
  wokeFromStall,
  type LeaseResumeFacts,
} from '../../libs/domain/src/index.ts';

function resumeFacts(overrides: Partial<LeaseResumeFacts> = {}): LeaseResumeFacts {
  return {
    member: 'pg1',
    leaderKey: { kind: 'held', member: 'pg1', term: 7 },
    postgresRunningAsPrimary: true,
    ...overrides,
  };
}

describe('resuming a lease after the election restarts', () => {
  test('the key names this member and PostgreSQL runs as primary: resume with the same term', () => {
    expect(leaseResumeVerdict(resumeFacts())).toEqual({ resume: true, term: 7 });
  });

  test('PostgreSQL no longer primary (the agent fenced it): the lease counts as lapsed', () => {
    const verdict = leaseResumeVerdict(resumeFacts({ postgresRunningAsPrimary: false }));
    expect(verdict).toEqual({
      resume: false,
      reason: 'my PostgreSQL is not running as primary: lease term 7 is treated as lapsed',
      report: false,
    });
  });

  test('another holder or a free key: nothing to resume', () => {
    expect(
      leaseResumeVerdict(resumeFacts({ leaderKey: { kind: 'held', member: 'pg2', term: 8 } })),
    ).toMatchObject({ resume: false, reason: 'pg2 holds the lease' });
    expect(leaseResumeVerdict(resumeFacts({ leaderKey: { kind: 'free' } }))).toMatchObject({
      resume: false,
    });
  });

  test('a record naming this member that does not decode is reported and treated as lapsed', () => {
    expect(
      leaseResumeVerdict(resumeFacts({ leaderKey: { kind: 'undecodable', namesMember: 'pg1' } })),
    ).toEqual({
      resume: false,
      reason: 'the leader key names pg1 but its record does not decode: treated as a lapsed lease',
      report: true,
    });
    expect(
      leaseResumeVerdict(
        resumeFacts({ leaderKey: { kind: 'undecodable', namesMember: undefined } }),
      ),
    ).toMatchObject({ resume: false, report: false });
  });
});

describe('an agent that wakes from a stall', () => {
  test('a timer late by a quarter of the margin or more means the process did not run', () => {
    expect(wokeFromStall(250, 1_000)).toBe(true);
    expect(wokeFromStall(5_000, 800)).toBe(true);
    expect(wokeFromStall(50, 1_000)).toBe(false);
  });

  test("the holder's confirmation never extends past the holder's own deadline", () => {
    const ttl = 8_000;
    const margin = leaseMarginMs(ttl);
    // The holder sent its renewal at 10 000 on the real time line, answered the agent at 12 000.
    const holderValidUntil = holderDeadline(10_000, ttl, margin);
    const answeredAt = 12_000;
    const validForMs = holderValidUntil - answeredAt;
    // The agent asked before the holder answered.
    for (const askedAt of [11_990, 12_000]) {
      const deadline = confirmedDeadline(askedAt, validForMs);
      expect(deadline).toBeLessThanOrEqual(holderValidUntil);
      // And so a margin before any contender, which received the renewal after it was sent.
      expect(takeoverDueAt(10_000, ttl) - deadline).toBeGreaterThanOrEqual(margin);
    }
    expect(confirmedDeadline(5_000, -10)).toBe(5_000);
  });
});

describe('a primary whose PostgreSQL does not answer', () => {
  test('the bound is half the ttl, never under 2 s', () => {
    expect(unansweredBoundMs(10_000)).toBe(5_000);
    expect(unansweredBoundMs(30_000)).toBe(15_000);
    expect(unansweredBoundMs(4_000)).toBe(2_000);
  });

  test('once fenced it stays stopped until another member leads, or for twice the ttl', () => {
    const base = { fencedAtMs: 1_000, ttlMs: 8_000 };
    expect(restartAfterUnansweredFence({ ...base, nowMs: 2_000, otherLeader: true })).toEqual({
      allowed: true,
    });
    expect(restartAfterUnansweredFence({ ...base, nowMs: 2_000, otherLeader: false })).toEqual({
      allowed: false,
      reason:
        'PostgreSQL was fenced 1000 ms ago for not answering: it starts again once another member leads, or after 16000 ms',
    });
    expect(restartAfterUnansweredFence({ ...base, nowMs: 17_000, otherLeader: false })).toEqual({
      allowed: true,
    });
  });
});
