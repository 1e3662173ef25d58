export { assertValidName, nameError, type NameKind } from './names.ts';
export { holderDeadline, leaseMarginMs, renewalIntervalMs, takeoverDueAt } from './lease-timing.ts';
