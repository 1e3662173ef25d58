import {
  ClusterKeys,
  RevisionConflictError,
  type ClusterView,
  type LeaseHold,
} from '../../../libs/dcs/src/index.ts';
import { create } from '@bufbuild/protobuf';
import {
  scheduleStep,
  switchoverCandidates,
  type HaTimings,
} from '../../../libs/domain/src/election/index.ts';
import { ClusterStatusSchema, type MemberStatus } from '../../../libs/proto/src/index.ts';
import {
  announce,
  isPaused,
  memberInMaintenance,
  quorumKeyOf,
  syncMembersOf,
  viewWhere,
  type ElectionContext,
} from './election-context.ts';
import { probeMembers, walPositionOf } from './peer-probe.ts';

/** How long the stopped leader waits for its candidate to hold everything it wrote. */
const CATCH_UP_TIMEOUT_MS = 5_000;
/** How long the demoted leader waits for its candidate to take the lease before following anyone. */
const NEW_LEADER_TIMEOUT_MS = 30_000;

export type SwitchoverOutcome =
  { handled: false; wakeInMs?: number } | { handled: true; sentence: string };

/**
 * The leader's side of a manual switchover or failover (docs/ha.md). Returns
 * `handled` when this member gave up the lease.
 */
export async function handleFailoverKey(
  context: ElectionContext,
  view: ClusterView,
  mine: MemberStatus,
  hold: LeaseHold,
  timings: HaTimings,
): Promise<SwitchoverOutcome> {
  const entry = view.failover;
  if (!entry) return { handled: false };
  const request = entry.value;
  const { member, logger } = context;
  const clear = async (why: string) => {
    logger.log({ msg: why, term: hold.term });
    await context.store.delete(ClusterKeys.failover, entry.revision).catch((error: unknown) => {
      if (!(error instanceof RevisionConflictError)) throw error;
    });
  };
  if (request.scheduledAt) {
    if (isPaused(view)) {
      await clear('scheduled switchover cancelled: the cluster is paused');
      return { handled: false };
    }
    const step = scheduleStep(Date.parse(request.scheduledAt), Date.now(), timings.loopWaitMs);
    if (step.step === 'wait') {
      logger.log({ msg: `Awaiting switchover at ${request.scheduledAt}` });
      return { handled: false, wakeInMs: step.dueInMs };
    }
    if (step.step === 'stale') {
      await clear(`scheduled switchover at ${request.scheduledAt} is stale: cleared`);
      return { handled: false };
    }
  }
  if (request.member === member) {
    await clear('switchover: I am already the leader');
    return { handled: false };
  }
  if (request.leader && request.leader !== member) {
    await clear(`switchover: leader name does not match (${request.leader} is not ${member})`);
    return { handled: false };
  }
  const others = [...view.members.keys()].filter((name) => name !== member);
  const peers = await probeMembers(context.agents, others, (name) =>
    memberInMaintenance(view, name),
  );
  const [candidate] = switchoverCandidates({
    leader: member,
    candidate: request.member,
    peers,
    leaderWalPosition: walPositionOf(mine),
    maximumLagOnFailover: timings.maximumLagOnFailover,
    // Under quorum commit a switchover goes to one of the key's voters, a failover to any member.
    syncStandbys: syncMembersOf(view) ?? (request.leader ? quorumKeyOf(view)?.voters : undefined),
  });
  const details = {
    leader: member,
    candidate: request.member ?? '',
    scheduledAt: request.scheduledAt ?? '',
  };
  if (!candidate) {
    await announce(context, {
      member,
      term: hold.term,
      detail: {
        case: 'switchoverFailed',
        value: { ...details, reason: 'no healthy members found' },
      },
    });
    await clear('switchover: no healthy members found');
    return { handled: false };
  }
  return gracefulDemote(context, mine, hold, candidate.name, details);
}

/**
 * Stops PostgreSQL cleanly (fast shutdown with its checkpoint), waits until the candidate holds
 * everything written, and only then releases the lease to it: no acknowledged write is lost and at
 * no moment are two primaries writable. Then follows the candidate.
 */
async function gracefulDemote(
  context: ElectionContext,
  mine: MemberStatus,
  hold: LeaseHold,
  candidate: string,
  details: { leader: string; candidate: string; scheduledAt: string },
): Promise<SwitchoverOutcome> {
  const { member, logger, agents } = context;
  const startedAt = performance.now();
  const announced = { ...details, candidate };
  await announce(context, {
    member,
    term: hold.term,
    timeline: mine.timeline ?? 0,
    lsn: walPositionOf(mine),
    detail: { case: 'switchoverStarted', value: announced },
  });
  logger.log({ msg: `switchover: demoting myself in favour of ${candidate}`, term: hold.term });
  const agent = agents.of(member);
  const stopped = await agent.stop('fast');
  // The agent reports the shutdown checkpoint of a clean stop: the last record this primary wrote.
  const shutdownCheckpoint = stopped.status?.xlogLocation;
  const caughtUp =
    stopped.ok &&
    shutdownCheckpoint !== undefined &&
    (await candidateHolds(context, candidate, shutdownCheckpoint));
  if (!caughtUp) {
    const reason = !stopped.ok
      ? `could not stop PostgreSQL: ${stopped.message}`
      : shutdownCheckpoint === undefined
        ? 'the agent did not report the shutdown checkpoint'
        : `${candidate} did not receive the shutdown checkpoint ${shutdownCheckpoint} within ${CATCH_UP_TIMEOUT_MS} ms`;
    logger.error({ msg: `switchover to ${candidate} abandoned: ${reason}`, term: hold.term });
    await agent.start(hold.term);
    await announce(context, {
      member,
      term: hold.term,
      detail: {
        case: 'switchoverFailed',
        value: { ...announced, reason, durationMs: performance.now() - startedAt },
      },
    });
    return { handled: false };
  }
  await context.store.put(
    ClusterKeys.status,
    create(ClusterStatusSchema, { optime: shutdownCheckpoint }),
  );
  await context.lease.release();
  logger.log({
    msg: `switchover: released the lease (term ${hold.term}) to ${candidate}`,
    term: hold.term,
  });
  const next = await viewWhere(
    context,
    (view) => {
      const leader = view.leader?.value.member;
      return (
        leader !== undefined &&
        leader !== member &&
        view.members.get(leader)?.value.role === 'primary'
      );
    },
    NEW_LEADER_TIMEOUT_MS,
  );
  const newLeader = next?.leader?.value;
  if (!next || !newLeader) {
    logger.error({ msg: `switchover: no new leader within ${NEW_LEADER_TIMEOUT_MS} ms` });
    return {
      handled: true,
      sentence: `switchover: released the lease to ${candidate}, no new leader yet`,
    };
  }
  const connUrl = next.members.get(newLeader.member)?.value.connUrl ?? '';
  await agent.follow({ term: newLeader.term, leader: newLeader.member, connUrl });
  await announce(context, {
    member,
    term: newLeader.term,
    detail: {
      case: 'switchoverCompleted',
      value: {
        ...announced,
        candidate: newLeader.member,
        durationMs: performance.now() - startedAt,
      },
    },
  });
  return {
    handled: true,
    sentence: `switchover completed: following ${newLeader.member}, lease term ${newLeader.term}`,
  };
}

/**
 * Polls the candidate's agent until it has received the record that starts at `walPosition` (its received
 * position, the end of what it holds, is then past that start), within CATCH_UP_TIMEOUT_MS.
 */
async function candidateHolds(
  context: ElectionContext,
  candidate: string,
  walPosition: number,
): Promise<boolean> {
  const deadline = performance.now() + CATCH_UP_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const reply = await context.agents
      .of(candidate)
      .status()
      .catch(() => undefined);
    const received = reply?.status?.xlog?.receivedLocation ?? 0;
    if (received > walPosition) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
