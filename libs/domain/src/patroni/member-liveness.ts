import { isStatusFresh, type ClusterFacts, type MemberFacts } from './cluster-facts.ts';
import type { MemberStatus } from './proto-types.ts';

/**
 * The liveness rule: Patroni's member key carries a TTL of `ttl` seconds that the member renews on every
 * loop, so a member whose Patroni is dead, frozen or cut off from the DCS vanishes from `/cluster` once
 * `ttl` has run out since its last write. natroni's KV bucket has no per-key expiry, so every reader
 * applies the same rule itself: a member's status counts while it is younger than `ttl`, and a member
 * whose status is older is gone. It leaves `/cluster` (and `natronictl list`), every health check
 * answered for it says 503, `/v1/servers` shows it `Down` and its metrics say PostgreSQL is not running.
 */
export function isMemberPresent(member: MemberFacts, cluster: ClusterFacts): boolean {
  return isStatusFresh(member, cluster);
}

/** The members `/cluster` lists: those present by the liveness rule, with their last statuses. */
export function presentMembers(
  members: readonly MemberFacts[],
  cluster: ClusterFacts,
): MemberStatus[] {
  return members.flatMap((member) =>
    member.status && isMemberPresent(member, cluster) ? [member.status] : [],
  );
}

/** When and how a reader received a member's latest status, on its own monotonic clock. */
export interface StatusReceipt {
  /** When the status arrived (or, for a status already stored when the reader started, the start). */
  readonly receivedAtMs: number;
  /**
   * How old the status already was when it arrived: 0 for a change the watch delivered as it happened;
   * for a status found stored at start, the time since NATS stored it (by the reader's wall clock
   * against NATS's timestamp), so that a reader started after a member died does not take the dead
   * member's last status for a fresh one.
   */
  readonly ageAtReceiptMs: number;
}

/** The age of a member's status at monotonic time `nowMs`; a clock that looks backwards counts as 0. */
export function statusAgeMs(receipt: StatusReceipt, nowMs: number): number {
  return Math.max(0, nowMs - receipt.receivedAtMs) + Math.max(0, receipt.ageAtReceiptMs);
}
