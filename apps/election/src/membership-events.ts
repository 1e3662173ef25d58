import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import { liveMembers, type ClusterView, type LeaseHold } from '../../../libs/dcs/src/index.ts';
import { announce, type ElectionContext } from './election-context.ts';

/**
 * The leader announces members that join the cluster and members whose status went silent for longer
 * than ttl (or whose key vanished). Only the lease holder does, so each change is announced once.
 */
@Injectable()
export class MembershipEvents {
  private present: Set<string> | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  async observe(view: ClusterView, hold: LeaseHold, ttlMs: number): Promise<void> {
    const alive = new Set(liveMembers(view, ttlMs));
    // A new leader starts from the members heard from within two ttls, so that one that went silent
    // while the lease changed hands (often with the old leader, which can no longer announce it) is
    // still announced.
    const before = this.present ?? new Set(liveMembers(view, 2 * ttlMs));
    this.present = alive;
    const { member, term } = { member: this.context.member, term: hold.term };
    for (const name of alive) {
      if (before.has(name)) continue;
      const status = view.members.get(name)?.value;
      this.context.logger.log({ msg: `member ${name} joined the cluster`, term });
      await announce(this.context, {
        member: name,
        term,
        detail: {
          case: 'memberJoined',
          value: {
            role: status?.role ?? '',
            state: status?.state ?? '',
            apiUrl: status?.apiUrl ?? '',
            connUrl: status?.connUrl ?? '',
          },
        },
      });
    }
    for (const name of before) {
      if (alive.has(name) || name === member) continue;
      const status = view.members.get(name)?.value;
      const reason = status
        ? `no status for more than ${ttlMs / 1000} s`
        : 'its member key was removed';
      this.context.logger.warn({ msg: `member ${name} lost: ${reason}`, term });
      await announce(this.context, {
        member: name,
        term,
        detail: {
          case: 'memberLost',
          value: { lastRole: status?.role ?? '', lastState: status?.state ?? '', reason },
        },
      });
    }
  }
}
