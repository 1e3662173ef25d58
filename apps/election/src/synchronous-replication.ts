import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import { create } from '@bufbuild/protobuf';
import {
  ClusterKeys,
  liveMembers,
  RevisionConflictError,
  type ClusterView,
  type LeaseHold,
} from '../../../libs/dcs/src/index.ts';
import {
  chooseSyncStandbys,
  confirmedSyncStandbys,
  quorumHandover,
  quorumStandbyNames,
  quorumTransitions,
  STRICT_SYNC_PLACEHOLDER,
  synchronousStandbyNames,
  type QuorumStandbyNames,
  type QuorumTransition,
  type SyncCandidate,
} from '../../../libs/domain/src/election/index.ts';
import { synchronousModeOf, syncStandbyNames } from '../../../libs/domain/src/index.ts';
import { SyncStateSchema, type MemberStatus } from '../../../libs/proto/src/index.ts';
import { quorumKeyOf, timingsOf, type ElectionContext } from './election-context.ts';
import { participantOf, walPositionOf } from './peer-probe.ts';

/** What this leader last had PostgreSQL wait for in quorum mode, and its WAL position just after. */
interface NamedQuorum extends QuorumStandbyNames {
  readonly term: number;
  namedAt: number | undefined;
}

/**
 * The primary's side of synchronous mode (docs/ha.md, "Synchronous mode"): standbys are named in
 * PostgreSQL before the `sync` key publishes them, and leave the key before PostgreSQL stops waiting
 * for them, so that every member the key names holds every acknowledged transaction.
 */
@Injectable()
export class SynchronousReplication {
  /** The value this leader last had its agent set, so that it is sent again only when it changes. */
  private applied: { term: number; value: string } | undefined;
  private named: NamedQuorum | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  async maintain(view: ClusterView, mine: MemberStatus, hold: LeaseHold): Promise<void> {
    const { member, store } = this.context;
    const config = view.config?.value;
    const published =
      view.sync?.value.leader === member ? syncStandbyNames(view.sync.value.syncStandby) : [];
    const mode = synchronousModeOf(config);
    if (mode === 'quorum') return this.maintainQuorum(view, mine, hold);
    if (mode === 'off') {
      if (view.sync) await store.delete(ClusterKeys.sync);
      if (this.applied?.value) await this.apply(hold, '');
      return;
    }
    const count = config?.synchronousNodeCount ?? 1;
    const candidates = this.candidates(view, mine);
    const wanted = chooseSyncStandbys(candidates, count);
    const kept = published.filter((name) => wanted.includes(name));
    if (!view.sync || view.sync.value.leader !== member || kept.length !== published.length) {
      await this.publish(kept);
    }
    await this.apply(
      hold,
      synchronousStandbyNames(wanted, count, config?.synchronousModeStrict === true),
    );
    const confirmed = confirmedSyncStandbys(wanted, candidates);
    if (confirmed.join(',') !== kept.join(',')) await this.publish(confirmed);
  }

  /**
   * Quorum commit (docs/quorum-commit.md): the transitions of quorumTransitions in order, the `sync`
   * key by compare-and-set; a conflict or a refusal stops the list, and the next cycle computes it again.
   */
  private async maintainQuorum(
    view: ClusterView,
    mine: MemberStatus,
    hold: LeaseHold,
  ): Promise<void> {
    const { member } = this.context;
    const config = view.config?.value;
    if (this.named?.term !== hold.term) this.named = undefined;
    const named = this.named;
    // The WAL position once PostgreSQL waits for the new names: a standby past it holds every commit
    // acknowledged under the names before.
    if (named && named.namedAt === undefined) named.namedAt = walPositionOf(mine);
    const candidates = this.candidates(view, mine);
    const confirmed =
      named?.namedAt === undefined
        ? 0
        : named.names.filter((name) =>
            candidates.some(
              (candidate) =>
                candidate.name === name &&
                candidate.streaming &&
                candidate.walPosition >= (named.namedAt ?? Infinity),
            ),
          ).length;
    const transitions = quorumTransitions({
      me: member,
      key: quorumKeyOf(view),
      standbyNames: named ?? { numsync: 0, names: [] },
      confirmed,
      active: candidates
        .filter((candidate) => candidate.streaming && !candidate.noSync)
        .map((candidate) => candidate.name),
      wanted: config?.synchronousNodeCount ?? 1,
    });
    let revision = view.sync?.revision;
    for (const transition of transitions) {
      if (transition.kind === 'standby_names') {
        const value = quorumStandbyNames(
          transition,
          config?.synchronousModeStrict === true ? STRICT_SYNC_PLACEHOLDER : undefined,
        );
        if (!(await this.apply(hold, value))) return;
        this.named = { term: hold.term, ...transition, namedAt: undefined };
        continue;
      }
      revision = await this.writeQuorumKey(transition, revision);
      if (revision === undefined) return;
    }
  }

  /**
   * Before the winner of a leader race is promoted in quorum mode (docs/quorum-commit.md): the `sync`
   * key by compare-and-set names it as leader and the former leader among the voters, and PostgreSQL
   * waits for those voters, so that the key has voters from the promotion on. Returns why the
   * promotion must wait, or undefined.
   */
  async prepareQuorumPromotion(view: ClusterView, hold: LeaseHold): Promise<string | undefined> {
    const { member } = this.context;
    if (synchronousModeOf(view.config?.value) !== 'quorum') return undefined;
    const handover = quorumHandover(quorumKeyOf(view), member);
    if (!handover) return undefined;
    const written = await this.writeQuorumKey(
      { kind: 'sync_key', ...handover.key },
      view.sync?.revision,
    );
    if (written === undefined) return 'the sync key was changed by another member';
    const strict = view.config?.value.synchronousModeStrict === true;
    const value = quorumStandbyNames(
      handover.standbyNames,
      strict ? STRICT_SYNC_PLACEHOLDER : undefined,
    );
    if (!(await this.apply(hold, value))) return 'the agent refused synchronous_standby_names';
    this.named = { term: hold.term, ...handover.standbyNames, namedAt: undefined };
    return undefined;
  }

  /** The new revision, or undefined when another writer changed the key first. */
  private async writeQuorumKey(
    transition: QuorumTransition & { kind: 'sync_key' },
    revision: number | undefined,
  ): Promise<number | undefined> {
    const { store, logger } = this.context;
    const value = create(SyncStateSchema, {
      leader: transition.leader,
      quorum: transition.quorum,
      syncStandby: transition.voters.length ? transition.voters.join(',') : undefined,
    });
    try {
      const written =
        revision === undefined
          ? await store.create(ClusterKeys.sync, value)
          : await store.update(ClusterKeys.sync, value, revision);
      logger.log({
        msg: `quorum commit: sync key leader ${transition.leader}, quorum ${transition.quorum} of (${transition.voters.join(', ')})`,
      });
      return written;
    } catch (error) {
      if (error instanceof RevisionConflictError) return undefined;
      throw error;
    }
  }

  /**
   * The standbys streaming from this primary whose member status is younger than ttl, as Patroni
   * takes only members of the cluster: a standby cut off from the network keeps its walsender until
   * wal_sender_timeout, and commits would wait for it that long.
   */
  private candidates(view: ClusterView, mine: MemberStatus): SyncCandidate[] {
    const live = new Set(liveMembers(view, timingsOf(view, this.context.config).ttlMs));
    return mine.replication
      .filter((row) => live.has(row.applicationName))
      .map((row) => {
        const status = view.members.get(row.applicationName)?.value;
        const tags = status?.tags ?? {};
        const priority = typeof tags['sync_priority'] === 'number' ? tags['sync_priority'] : 1;
        return {
          name: row.applicationName,
          streaming: row.state === 'streaming',
          syncState: row.syncState,
          walPosition: status ? participantOf(status).walPosition : 0,
          noSync: tags['nosync'] === true || priority <= 0,
          syncPriority: priority,
        };
      });
  }

  private async publish(standbys: readonly string[]): Promise<void> {
    const { member, store, logger } = this.context;
    await store.put(
      ClusterKeys.sync,
      create(SyncStateSchema, {
        leader: member,
        syncStandby: standbys.length ? standbys.join(',') : undefined,
      }),
    );
    logger.log({ msg: `synchronous standbys published: ${standbys.join(', ') || 'none'}` });
  }

  /** False when the agent refused. */
  private async apply(hold: LeaseHold, value: string): Promise<boolean> {
    if (this.applied?.term === hold.term && this.applied.value === value) return true;
    const { member, agents, logger } = this.context;
    const reply = await agents.of(member).setSynchronousStandbyNames(hold.term, value);
    if (!reply.ok) {
      logger.error({
        msg: `could not set synchronous_standby_names: ${reply.message}`,
        term: hold.term,
      });
      return false;
    }
    this.applied = { term: hold.term, value };
    logger.log({ msg: `synchronous_standby_names = '${value}'`, term: hold.term });
    return true;
  }
}
