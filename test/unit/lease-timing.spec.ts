import {
  holderDeadline,
  holderValidityMs,
  leaderlessSince,
  leaseMarginMs,
  msUntil,
  observerDeadline,
  renewalIntervalMs,
  takeoverDue,
  takeoverDueAt,
} from '../../libs/domain/src/index.ts';

test('the margin is a tenth of the ttl, kept between 0.5 s and 5 s', () => {
  expect(leaseMarginMs(2_000)).toBe(500);
  expect(leaseMarginMs(10_000)).toBe(1_000);
  expect(leaseMarginMs(30_000)).toBe(3_000);
  expect(leaseMarginMs(120_000)).toBe(5_000);
});

test("the holder's belief ends a margin before the earliest takeover", () => {
  const ttl = 10_000;
  const margin = leaseMarginMs(ttl);
  const renewalSentAt = 1_000;
  // A contender can only have received the renewal after it was sent.
  const earliestReceipt = renewalSentAt;
  expect(takeoverDueAt(earliestReceipt, ttl) - holderDeadline(renewalSentAt, ttl, margin)).toBe(
    margin,
  );
});

test('renewals come three times within the validity window', () => {
  expect(renewalIntervalMs(10_000, 1_000)).toBe(3_000);
  expect(renewalIntervalMs(200, 150)).toBe(100);
});

test('a member that received a renewal counts the lease held by the holder rule, timed from receipt', () => {
  expect(holderValidityMs(10_000, 1_000)).toBe(9_000);
  expect(observerDeadline(2_000, 10_000)).toBe(2_000 + 10_000 - leaseMarginMs(10_000));
  expect(observerDeadline(2_000, 10_000, 500)).toBe(11_500);
  // The receipt follows the send: an observer never ends its belief before the holder does.
  expect(observerDeadline(1_200, 10_000)).toBeGreaterThan(holderDeadline(1_000, 10_000, 1_000));
});

test('a revision may be taken over ttl after it was first seen, not a millisecond sooner', () => {
  expect(takeoverDue(1_000, 10_000, 10_999)).toBe(false);
  expect(takeoverDue(1_000, 10_000, 11_000)).toBe(true);
});

test('the leaderless time begins at a release when seen, or when the last renewal seen ran out', () => {
  expect(leaderlessSince(5_000, true, 10_000)).toBe(5_000);
  expect(leaderlessSince(5_000, false, 10_000)).toBe(15_000);
});

test('a timer never waits a negative time', () => {
  expect(msUntil(1_500, 1_000)).toBe(500);
  expect(msUntil(1_000, 1_500)).toBe(0);
});
