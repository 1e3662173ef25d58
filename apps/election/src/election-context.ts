import type { Logger } from '@nestjs/common';
import type {
  ClusterStore,
  ClusterView,
  ClusterWatch,
  LeaderLease,
} from '../../../libs/dcs/src/index.ts';
import {
  clusterHaTimings,
  type HaTimings,
  type QuorumKey,
} from '../../../libs/domain/src/election/index.ts';
import {
  inMaintenance,
  serverKeyToken,
  synchronousModeOf,
  syncStandbyNames,
} from '../../../libs/domain/src/index.ts';
import {
  eventKindOf,
  type EventDraft,
  type EventPublisher,
} from '../../../libs/events/src/index.ts';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import type { MemberAgents } from './member-agents.ts';

/** What every part of one member's election shares. */
export interface ElectionContext {
  readonly member: string;
  readonly config: MemberConfig;
  readonly store: ClusterStore;
  readonly watch: ClusterWatch;
  readonly lease: LeaderLease;
  readonly agents: MemberAgents;
  readonly events: EventPublisher;
  readonly logger: Logger;
}

/** The `config` key's timings, or the member file's `bootstrap.dcs` before the cluster has a config. */
export function timingsOf(view: ClusterView, config: MemberConfig): HaTimings {
  return clusterHaTimings(view.config?.value, config.bootstrap.dcs);
}

export function isPaused(view: ClusterView): boolean {
  return view.config?.value.pause === true;
}

/** Publishes an event; a lost event is logged, never a reason to stop the HA loop. */
export async function announce(context: ElectionContext, draft: EventDraft): Promise<void> {
  try {
    await context.events.publish(draft);
  } catch (error) {
    context.logger.warn({
      msg: `could not publish the ${eventKindOf(draft.detail.case)} event`,
      err: error,
    });
  }
}

/** Resolves with the first view that satisfies `predicate`, or undefined after `timeoutMs`. */
export function viewWhere(
  context: ElectionContext,
  predicate: (view: ClusterView) => boolean,
  timeoutMs: number,
): Promise<ClusterView | undefined> {
  if (predicate(context.watch.view)) return Promise.resolve(context.watch.view);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(undefined);
    }, timeoutMs);
    const unsubscribe = context.watch.subscribe((view) => {
      if (!predicate(view)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(view);
    });
  });
}

/** With synchronous mode on, the members that may be promoted: the `sync` key's leader and standbys. */
export function syncMembersOf(view: ClusterView): string[] | undefined {
  if (synchronousModeOf(view.config?.value) !== 'on' || !view.sync) return undefined;
  return [view.sync.value.leader, ...syncStandbyNames(view.sync.value.syncStandby)];
}

/** With quorum commit and a `sync` key: the voters a new leader must hear from, and how many. */
export function quorumKeyOf(view: ClusterView): QuorumKey | undefined {
  const sync = view.sync?.value;
  if (synchronousModeOf(view.config?.value) !== 'quorum' || !sync) return undefined;
  return {
    leader: sync.leader,
    quorum: sync.quorum ?? 0,
    voters: syncStandbyNames(sync.syncStandby),
  };
}

/** Put in maintenance through `/v1/servers`: out of the leader race and of switchover candidates. */
export function memberInMaintenance(view: ClusterView, member: string): boolean {
  return inMaintenance(view.servers.get(serverKeyToken(member))?.value);
}
