import {
  holderDeadline,
  leaseMarginMs,
  renewalIntervalMs,
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
