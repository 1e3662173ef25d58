import { Inject, Injectable } from '@nestjs/common';
import {
  remotePrimaryUrl,
  remoteSourceName,
  type StandbyCluster,
} from '../../../libs/domain/src/election/index.ts';
import { standbyUpstream } from '../../../libs/agent-client/src/index.ts';
import type { ElectionContext } from './election-context.ts';
import { ELECTION_CONTEXT } from './election-providers.ts';

/**
 * The standby leader's one duty (Patroni's `enforce_follow_remote_member`): have its agent stream from
 * the remote primary that `standby_cluster` names, and remember under which term and settings it did,
 * so that leaderStep says "no action" until the lease or the section changes.
 */
@Injectable()
export class StandbyLeaderDuties {
  private following: string | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  followsRemote(term: number, standby: StandbyCluster): boolean {
    return this.following === followingKey(term, standby);
  }

  /**
   * Tells the agent to stream from the remote primary, or without a host to replay restore_command's
   * archive (a primary is demoted to do so); returns the agent's refusal, if it refused.
   */
  async followRemote(term: number, standby: StandbyCluster): Promise<string | undefined> {
    const { member, logger } = this.context;
    const reply = await this.context.agents.of(member).follow({
      term,
      leader: '',
      connUrl: remotePrimaryUrl(standby),
      standby: standbyUpstream(standby, true),
    });
    if (!reply.ok) {
      logger.error({
        msg: `could not follow ${remoteSourceName(standby)}: ${reply.message}`,
        term,
      });
      this.following = undefined;
      return reply.message;
    }
    this.following = followingKey(term, standby);
    return undefined;
  }
}

function followingKey(term: number, standby: StandbyCluster): string {
  return JSON.stringify({ term, standby });
}
