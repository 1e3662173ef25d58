export { leaseConfirmationSubject, LeaseConfirmations } from './lease-confirmations.ts';
