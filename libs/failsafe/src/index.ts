export { failsafeSubject, FailsafeNotices, FailsafeUnreachableError } from './failsafe-notices.ts';
