import { Inject, Injectable } from '@nestjs/common';
import { ELECTION_CONTEXT } from './election-providers.ts';
import { create } from '@bufbuild/protobuf';
import {
  ClusterKeys,
  liveMembers,
  type ClusterView,
  type LeaseHold,
} from '../../../libs/dcs/src/index.ts';
import {
  chooseSyncStandbys,
  confirmedSyncStandbys,
  synchronousStandbyNames,
  type SyncCandidate,
} from '../../../libs/domain/src/election/index.ts';
import { synchronousModeOf, syncStandbyNames } from '../../../libs/domain/src/index.ts';
import { SyncStateSchema, type MemberStatus } from '../../../libs/proto/src/index.ts';
import { timingsOf, type ElectionContext } from './election-context.ts';
import { participantOf } from './peer-probe.ts';

/**
 * The primary's side of synchronous mode (docs/ha.md, "Synchronous mode"): standbys are named in
 * PostgreSQL before the `sync` key publishes them, and leave the key before PostgreSQL stops waiting
 * for them, so that every member the key names holds every acknowledged transaction.
 */
@Injectable()
export class SynchronousReplication {
  /** The value this leader last had its agent set, so that it is sent again only when it changes. */
  private applied: { term: number; value: string } | undefined;

  constructor(@Inject(ELECTION_CONTEXT) private readonly context: ElectionContext) {}

  async maintain(view: ClusterView, mine: MemberStatus, hold: LeaseHold): Promise<void> {
    const { member, store } = this.context;
    const config = view.config?.value;
    const published =
      view.sync?.value.leader === member ? syncStandbyNames(view.sync.value.syncStandby) : [];
    const mode = synchronousModeOf(config);
    // The REST API refuses quorum commit, which this version does not run; a quorum value written
    // into KV by other means leaves the sync key and PostgreSQL's setting as they are, so a quorum
    // that someone relies on is never silently dropped.
    if (mode === 'quorum') return;
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

  private async apply(hold: LeaseHold, value: string): Promise<void> {
    if (this.applied?.term === hold.term && this.applied.value === value) return;
    const { member, agents, logger } = this.context;
    const reply = await agents.of(member).setSynchronousStandbyNames(hold.term, value);
    if (!reply.ok) {
      logger.error({
        msg: `could not set synchronous_standby_names: ${reply.message}`,
        term: hold.term,
      });
      return;
    }
    this.applied = { term: hold.term, value };
    logger.log({ msg: `synchronous_standby_names = '${value}'`, term: hold.term });
  }
}
