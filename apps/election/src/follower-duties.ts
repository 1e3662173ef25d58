import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import type { ClusterView } from '../../../libs/dcs/src/index.ts';
import {
  followerStep,
  offLeaderTimeline,
  standbyClusterOf,
  type FollowedLeader,
} from '../../../libs/domain/src/election/index.ts';
import type { LeaseRecord, MemberStatus } from '../../../libs/proto/src/index.ts';
import type { ElectionContext } from './election-context.ts';
import { standbyUpstream } from '../../../libs/agent-client/src/index.ts';

/**
 * Keeps this member a replica of the lease holder: turns followerStep's verdict into the agent's
 * request, and remembers what the agent was last told to follow and since when this replica has been
 * off the leader's timeline.
 */
@Injectable()
export class FollowerDuties {
  private followed: FollowedLeader | undefined;
  private offTimelineSince: number | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  /** One cycle's work as a follower of `leader`; returns what it did. */
  async follow(view: ClusterView, mine: MemberStatus, leader: LeaseRecord): Promise<string> {
    const agent = this.context.agents.of(this.context.member);
    const leaderStatus = view.members.get(leader.member)?.value;
    const postgres = {
      state: mine.state,
      role: mine.role,
      timeline: mine.timeline,
      replicationState: mine.replicationState,
    };
    const now = performance.now();
    if (offLeaderTimeline(postgres, leaderStatus?.timeline)) this.offTimelineSince ??= now;
    else this.offTimelineSince = undefined;
    const standby = standbyClusterOf(view.config?.value.standbyCluster);
    const step = followerStep({
      postgres,
      leader: { member: leader.member, term: leader.term },
      leaderConnUrl: leaderStatus?.connUrl || undefined,
      offTimelineForMs:
        this.offTimelineSince === undefined ? undefined : now - this.offTimelineSince,
      followed: this.followed,
      standby,
    });
    const connUrl = leaderStatus?.connUrl ?? '';
    switch (step.step) {
      case 'await_leader_status':
      case 'none':
        return step.sentence;
      case 'demote': {
        await agent.demote({ term: leader.term, leader: leader.member, mode: 'immediate' });
        this.followed = { member: leader.member, term: leader.term };
        return step.sentence;
      }
      case 'rewind': {
        this.offTimelineSince = undefined;
        const reply = await agent.rewind({
          term: leader.term,
          sourceConnUrl: connUrl,
          ...(standby ? { standby: standbyUpstream(standby, false) } : {}),
        });
        if (!reply.ok)
          this.context.logger.error({
            msg: `pg_rewind from ${leader.member} failed: ${reply.message}`,
          });
        return step.sentence;
      }
      case 'follow': {
        const reply = await agent.follow({
          term: leader.term,
          leader: leader.member,
          connUrl,
          ...(standby ? { standby: standbyUpstream(standby, false) } : {}),
        });
        if (!reply.ok) {
          this.context.logger.error({ msg: `could not follow ${leader.member}: ${reply.message}` });
          return `not following ${leader.member} yet: the agent refused (${reply.message})`;
        }
        this.followed = { member: leader.member, term: leader.term, cascading: !!standby };
        return step.sentence;
      }
    }
  }
}
