import { AgentUnreachableError } from '../../../libs/agent-client/src/index.ts';
import type { RaceParticipant } from '../../../libs/domain/src/election/index.ts';
import type { MemberStatus } from '../../../libs/proto/src/index.ts';
import type { MemberAgents } from './member-agents.ts';

export type ProbedMember = RaceParticipant & {
  readonly running: boolean;
  readonly status: MemberStatus;
};

/**
 * How long the leader race waits for a peer's agent, as Patroni waits for a peer's REST API (2 s). A
 * dead agent costs nothing (NATS answers "no responders" at once); only a slow one is waited for, and a
 * named failover candidate that is merely slow must not be passed over.
 */
export const PEER_PROBE_TIMEOUT_MS = 2_000;

/** What the race compares: a replica's furthest received or replayed position, a primary's current one. */
export function walPositionOf(status: MemberStatus): number {
  if (status.role === 'primary') return status.xlog?.location ?? status.xlogLocation ?? 0;
  return Math.max(
    status.xlog?.receivedLocation ?? status.receiveLsn ?? 0,
    status.xlog?.replayedLocation ?? status.replayLsn ?? 0,
  );
}

/** `inMaintenance`: the member was put in maintenance through `/v1/servers` (out of the leader race). */
export function participantOf(status: MemberStatus, inMaintenance = false): ProbedMember {
  const tags = status.tags ?? {};
  const priority = typeof tags['failover_priority'] === 'number' ? tags['failover_priority'] : 1;
  const noFailover = typeof tags['nofailover'] === 'boolean' ? tags['nofailover'] : priority <= 0;
  return {
    name: status.name,
    walPosition: walPositionOf(status),
    timeline: status.timeline,
    running: status.state === 'running',
    runningPrimary: status.state === 'running' && status.role === 'primary',
    noFailover,
    failoverPriority: priority,
    inMaintenance,
    status,
  };
}

/**
 * Asks every member's agent for a fresh status at once, as Patroni asks every member's REST API;
 * a member that does not answer in time does not take part.
 */
export async function probeMembers(
  agents: MemberAgents,
  members: readonly string[],
  maintenance: (member: string) => boolean,
): Promise<ProbedMember[]> {
  const answers = await Promise.all(
    members.map(async (member) => {
      try {
        const reply = await agents.of(member).status(PEER_PROBE_TIMEOUT_MS);
        return reply.ok && reply.status
          ? participantOf(reply.status, maintenance(member))
          : undefined;
      } catch (error) {
        if (error instanceof AgentUnreachableError) return undefined;
        throw error;
      }
    }),
  );
  return answers.filter((answer): answer is ProbedMember => answer !== undefined);
}
