import type { SynchronousMode } from './cluster-facts.ts';
import { parseSchedule } from './schedule.ts';

export type FailoverAction = 'switchover' | 'failover';

/** The body of `POST /switchover` or `POST /failover` once its types are checked. */
export interface FailoverBody {
  readonly leader?: string | undefined;
  readonly candidate?: string | undefined;
  readonly member?: string | undefined;
  readonly scheduled_at?: string | undefined;
}

/** A member as the feasibility check sees it (Patroni fetches each candidate's `/patroni`). */
export interface CandidateFacts {
  readonly name: string;
  readonly hasApiUrl: boolean;
  /** Its status is fresh: Patroni's "reachable". */
  readonly reachable: boolean;
  readonly noFailover: boolean;
}

export interface FailoverContext {
  readonly paused: boolean;
  readonly nowMs: number;
  readonly leaderName: string | undefined;
  readonly synchronousMode: SynchronousMode;
  readonly syncStandbys: readonly string[];
  readonly members: readonly CandidateFacts[];
}

export type FailoverDecision =
  | {
      readonly ok: true;
      readonly action: FailoverAction;
      readonly leader?: string;
      readonly candidate?: string;
      readonly scheduledAt?: string;
    }
  | { readonly ok: false; readonly code: 400 | 412 | 422; readonly message: string };

const refuse = (code: 400 | 412 | 422, message: string): FailoverDecision => ({
  ok: false,
  code,
  message,
});

/** The checks, in Patroni's order; the first failing check decides code and message. */
export function decideFailover(
  requested: FailoverAction,
  body: FailoverBody,
  context: FailoverContext,
): FailoverDecision {
  const leader = body.leader || undefined;
  const candidate = body.candidate || body.member || undefined;
  let action = requested;
  if (action === 'failover' && !candidate)
    return refuse(400, 'Failover could be performed only to a specific candidate');
  if (action === 'switchover' && !leader)
    return refuse(400, 'Switchover could be performed only from a specific leader');

  let scheduledAt: string | undefined;
  if (body.scheduled_at) {
    if (action === 'failover') return refuse(400, "Failover can't be scheduled");
    if (context.paused) return refuse(400, "Can't schedule switchover in the paused state");
    const schedule = parseSchedule(body.scheduled_at, 'switchover', context.nowMs);
    if (!schedule.ok) return refuse(schedule.code, schedule.message);
    scheduledAt = schedule.iso;
  }
  if (context.paused && !candidate)
    return refuse(400, 'Switchover is possible only to a specific candidate in a paused state');
  if (action === 'failover' && leader) action = 'switchover';
  if (leader && leader === candidate)
    return refuse(400, 'Switchover target and source are the same');

  if (scheduledAt === undefined) {
    const impossible = feasibilityProblem(action, leader, candidate, context);
    if (impossible) return refuse(412, impossible);
  }
  return {
    ok: true,
    action,
    ...(leader === undefined ? {} : { leader }),
    ...(candidate === undefined ? {} : { candidate }),
    ...(scheduledAt === undefined ? {} : { scheduledAt }),
  };
}

function feasibilityProblem(
  action: FailoverAction,
  leader: string | undefined,
  candidate: string | undefined,
  context: FailoverContext,
): string | undefined {
  if (leader && context.leaderName !== leader) return 'leader name does not match';
  const strictSync = context.synchronousMode === 'on';
  // Under quorum commit only the `sync` key's voters may take a switchover, as Patroni 4's leader
  // takes no other; a failover may go to any healthy member.
  const syncOnly = strictSync || (context.synchronousMode === 'quorum' && action === 'switchover');
  let candidates: CandidateFacts[];
  if (candidate) {
    if (action === 'switchover' && syncOnly && !context.syncStandbys.includes(candidate))
      return 'candidate name does not match with sync_standby';
    candidates = context.members.filter((member) => member.name === candidate);
    if (candidates.length === 0) return 'candidate does not exists';
  } else if (syncOnly) {
    candidates = context.members.filter((member) => context.syncStandbys.includes(member.name));
    if (candidates.length === 0) return `${action} is not possible: can not find sync_standby`;
  } else {
    candidates = context.members.filter(
      (member) => member.name !== context.leaderName && member.hasApiUrl,
    );
    if (candidates.length === 0)
      return `${action} is not possible: cluster does not have members except leader`;
  }
  if (candidates.some((member) => member.reachable && !member.noFailover)) return undefined;
  return `${action} is not possible: no good candidates have been found`;
}

/** A member as natronictl sees it in `/cluster`. */
export interface ListedMember {
  readonly name: string;
  readonly role: string;
  readonly noFailover: boolean;
}

/**
 * The candidates natronictl offers: every member but the leader without `nofailover`; for a
 * switchover under quorum commit (voters listed as `quorum_standby`), only the voters.
 */
export function offeredCandidates(
  action: FailoverAction,
  members: readonly ListedMember[],
  leader: string | undefined,
): string[] {
  const eligible = members.filter((member) => member.name !== leader && !member.noFailover);
  const voters = eligible.filter((member) => member.role === 'quorum_standby');
  const quorumSwitchover =
    action === 'switchover' && members.some((member) => member.role === 'quorum_standby');
  return (quorumSwitchover ? voters : eligible).map((member) => member.name).sort();
}
