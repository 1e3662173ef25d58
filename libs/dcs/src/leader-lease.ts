import { create } from '@bufbuild/protobuf';
import type { KvEntry } from '@nats-io/kv';
import {
  holderDeadline,
  leaseMarginMs,
  msUntil,
  takeoverDueAt,
  type LeaderKeyReading,
} from '../../domain/src/index.ts';
import { LeaseRecordSchema, type LeaseRecord } from '../../proto/src/index.ts';
import { ClusterKeys } from './cluster-keys.ts';
import { decodeEntry, type ClusterStore } from './cluster-store.ts';
import { RevisionConflictError } from './dcs-errors.ts';

export interface LeaderLeaseOptions {
  member: string;
  ttlMs: number;
  /** How long before its ttl the holder stops believing it leads; see leaseMarginMs. */
  marginMs?: number;
  /** A monotonic clock in milliseconds (performance.now by default). */
  now?: () => number;
}

/** What this member last saw of the `leader` key, timed on its own clock when the revision first arrived. */
export interface LeaseObservation {
  /** 0 when the key has never existed. */
  readonly revision: number;
  /** The holder; undefined when the key is absent, deleted, or holds a malformed value. */
  readonly record: LeaseRecord | undefined;
  readonly free: boolean;
  /** The term the key names: the holder's, or the last holder's as kept in a release's delete marker. */
  readonly lastTerm: number | undefined;
  readonly seenAt: number;
}

export interface LeaseHold {
  readonly term: number;
  readonly revision: number;
  /** Monotonic time at which the write that last established or renewed this hold was sent. */
  readonly sentAt: number;
  /** Monotonic time until which this member may act as leader. */
  readonly validUntil: number;
}

export type AcquireResult =
  | ({ acquired: true } & LeaseHold)
  | { acquired: false; holder: LeaseRecord | undefined; retryAt: number };

export type RenewResult =
  | ({ outcome: 'renewed'; latencyMs: number } & LeaseHold)
  | { outcome: 'lost'; reason: string }
  | { outcome: 'unreachable'; reason: string; validUntil: number };

/**
 * `lapsed`: the hold ran out because renewals did not get through, and the key may still be exactly as
 * this member last wrote it (see `reclaim`); false when someone else wrote or deleted the key.
 */
type LossListener = (reason: string, lapsed: boolean) => void;

/**
 * The leader lease (docs/design.md) over the `leader` key: acquired by create-if-absent, or by
 * compare-and-set on a revision this member has seen unchanged for `ttl` on its own clock; renewed by
 * compare-and-set on the holder's last revision; released by compare-and-set delete. Each acquisition
 * carries a higher `term`, the fencing token of every role-changing command.
 */
export class LeaderLease {
  private readonly ttlMs: number;
  private readonly marginMs: number;
  private readonly now: () => number;
  private observation: LeaseObservation | undefined;
  private hold: LeaseHold | undefined;
  private lapsedHold: LeaseHold | undefined;
  private highestTermSeen = 0;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly lossListeners = new Set<LossListener>();
  private readonly changeWaiters = new Set<() => void>();
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly store: ClusterStore,
    private readonly options: LeaderLeaseOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.marginMs = options.marginMs ?? leaseMarginMs(options.ttlMs);
    this.now = options.now ?? (() => performance.now());
  }

  get member(): string {
    return this.options.member;
  }

  /** Starts watching the `leader` key, so that every renewal resets this member's takeover timer. */
  async start(): Promise<void> {
    const watch = await this.store.watch(ClusterKeys.leader);
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) this.observe(entry);
    })();
  }

  /** Stops watching; a lease still held is forgotten, not released (see `release`). */
  stop(): void {
    this.hold = undefined;
    this.lapsedHold = undefined;
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.clearDeadline();
    for (const wake of this.changeWaiters) wake();
    this.changeWaiters.clear();
  }

  /** The lease as this member holds it, while its validity deadline has not passed. */
  held(): LeaseHold | undefined {
    return this.hold && this.now() < this.hold.validUntil ? this.hold : undefined;
  }

  observed(): LeaseObservation | undefined {
    return this.observation;
  }

  /** Called once each time this member stops holding the lease without releasing it. */
  onLost(listener: LossListener): () => void {
    this.lossListeners.add(listener);
    return () => this.lossListeners.delete(listener);
  }

  /** Resolves when the `leader` key changes, or at monotonic time `until`, whichever comes first. */
  changed(until: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, msUntil(until, this.now()));
      const waiters = this.changeWaiters;
      function wake(): void {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      }
      waiters.add(wake);
    });
  }

  /** One attempt to become leader; when the lease is held by someone else, says when to try again. */
  async attempt(): Promise<AcquireResult> {
    const current = this.held();
    if (current) return { acquired: true, ...current };
    const entry = await this.store.entry(ClusterKeys.leader);
    const observation = this.observe(entry);
    if (!observation.free) {
      const dueAt = takeoverDueAt(observation.seenAt, this.ttlMs);
      if (this.now() < dueAt)
        return { acquired: false, holder: observation.record, retryAt: dueAt };
    }
    const lastTerm = observation.lastTerm ?? (await this.lastTermInHistory());
    return this.write(Math.max(this.highestTermSeen, lastTerm) + 1, observation.revision);
  }

  /** The `leader` key as it is now, for the rule of leaseResumeVerdict, with the revision read. */
  async read(): Promise<{ reading: LeaderKeyReading; revision: number }> {
    const entry = await this.store.entry(ClusterKeys.leader);
    this.observe(entry);
    if (!entry || entry.operation !== 'PUT') {
      return { reading: { kind: 'free' }, revision: entry?.revision ?? 0 };
    }
    const record = entry.value.length > 0 ? this.decodeRecord(entry) : undefined;
    const reading: LeaderKeyReading = record
      ? { kind: 'held', member: record.member, term: record.term }
      : { kind: 'undecodable', namesMember: memberNamedBy(entry) };
    return { reading, revision: entry.revision };
  }

  /**
   * Takes over, with the same term, the lease that a previous run of this member's election renewed
   * last at `revision` (see leaseResumeVerdict): a renewal made by a new process, which succeeds only
   * if nobody wrote the key since.
   */
  resume(term: number, revision: number): Promise<AcquireResult> {
    const current = this.held();
    if (current) return Promise.resolve({ acquired: true, ...current });
    return this.write(term, revision);
  }

  /** Extends the lease by compare-and-set on the holder's last revision. */
  async renew(): Promise<RenewResult> {
    const hold = this.hold;
    if (!hold) return { outcome: 'lost', reason: 'the lease is not held' };
    if (this.now() >= hold.validUntil)
      return this.lose('the validity deadline passed before renewal', true);
    const sentAt = this.now();
    try {
      const revision = await this.store.update(
        ClusterKeys.leader,
        this.record(hold.term),
        hold.revision,
      );
      return {
        outcome: 'renewed',
        latencyMs: this.now() - sentAt,
        ...this.setHold(hold.term, revision, sentAt),
      };
    } catch (error) {
      if (error instanceof RevisionConflictError) return this.recoverFromConflict(hold);
      const reason = error instanceof Error ? error.message : String(error);
      if (this.now() >= hold.validUntil)
        return this.lose(`renewal failed past the deadline: ${reason}`, true);
      return { outcome: 'unreachable', reason, validUntil: hold.validUntil };
    }
  }

  /** Gives the lease up at once (graceful stop, switchover): watchers see the delete immediately. */
  async release(): Promise<boolean> {
    const hold = this.hold;
    if (!hold) return false;
    this.hold = undefined;
    this.clearDeadline();
    try {
      await this.store.deleteLeaving(ClusterKeys.leader, this.record(hold.term), hold.revision);
      return true;
    } catch (error) {
      if (error instanceof RevisionConflictError) return false;
      throw error;
    }
  }

  /** The term of a hold that lapsed while the key may still be as this member left it. */
  lapsedTerm(): number | undefined {
    return this.lapsedHold?.term;
  }

  /**
   * Takes a lapsed hold back with the same term (failsafe mode: the primary stayed writable while the
   * key could not be renewed). The compare-and-set succeeds only if nobody wrote the key since this
   * member's last write, so no contender can have taken over in between.
   */
  async reclaim(): Promise<AcquireResult> {
    const lapsed = this.lapsedHold;
    if (!lapsed) return { acquired: false, holder: this.observation?.record, retryAt: this.now() };
    this.lapsedHold = undefined;
    const sentAt = this.now();
    try {
      const revision = await this.store.update(
        ClusterKeys.leader,
        this.record(lapsed.term),
        lapsed.revision,
      );
      return { acquired: true, ...this.setHold(lapsed.term, revision, sentAt) };
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) {
        this.lapsedHold = lapsed;
        throw error;
      }
      const observation = this.observe(await this.store.entry(ClusterKeys.leader));
      return {
        acquired: false,
        holder: observation.record,
        retryAt: takeoverDueAt(observation.seenAt, this.ttlMs),
      };
    }
  }

  private async write(term: number, previousRevision: number): Promise<AcquireResult> {
    const sentAt = this.now();
    try {
      const revision = await this.store.update(
        ClusterKeys.leader,
        this.record(term),
        previousRevision,
      );
      return { acquired: true, ...this.setHold(term, revision, sentAt) };
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) throw error;
      const observation = this.observe(await this.store.entry(ClusterKeys.leader));
      const retryAt = observation.free ? this.now() : takeoverDueAt(observation.seenAt, this.ttlMs);
      return { acquired: false, holder: observation.record, retryAt };
    }
  }

  /**
   * A renewal whose reply was lost may still have been applied, leaving a newer revision that is ours:
   * the value names this member and this term, which no one else ever writes. Adopt it and renew again;
   * the deadline stays that of the last confirmed renewal, which is the safe side.
   */
  private async recoverFromConflict(hold: LeaseHold): Promise<RenewResult> {
    const entry = await this.store.entry(ClusterKeys.leader);
    const record = this.observe(entry).record;
    if (
      entry &&
      record?.member === this.member &&
      record.term === hold.term &&
      entry.revision > hold.revision
    ) {
      this.hold = { ...hold, revision: entry.revision };
      return this.renew();
    }
    return this.lose(lossReason(!entry || entry.operation !== 'PUT', record));
  }

  private setHold(term: number, revision: number, sentAt: number): LeaseHold {
    this.lapsedHold = undefined;
    this.hold = {
      term,
      revision,
      sentAt,
      validUntil: holderDeadline(sentAt, this.ttlMs, this.marginMs),
    };
    this.highestTermSeen = Math.max(this.highestTermSeen, term);
    this.armDeadline(this.hold);
    return this.hold;
  }

  private armDeadline(hold: LeaseHold): void {
    this.clearDeadline();
    this.deadlineTimer = setTimeout(
      () => {
        if (this.hold === hold) this.lose('the validity deadline passed without a renewal', true);
      },
      msUntil(hold.validUntil, this.now()),
    );
  }

  private clearDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  private lose(reason: string, lapsed = false): { outcome: 'lost'; reason: string } {
    const hold = this.hold;
    if (hold) {
      this.hold = undefined;
      this.lapsedHold = lapsed ? hold : undefined;
      this.clearDeadline();
      for (const listener of this.lossListeners) listener(reason, lapsed);
    }
    return { outcome: 'lost', reason };
  }

  /** Records a sighting of the `leader` key; the takeover timer restarts only when the revision changes. */
  private observe(entry: KvEntry | null): LeaseObservation {
    const revision = entry?.revision ?? 0;
    const previous = this.observation;
    if (previous && revision <= previous.revision) return previous;
    const free = !entry || entry.operation !== 'PUT';
    const named = entry && entry.value.length > 0 ? this.decodeRecord(entry) : undefined;
    const record = free ? undefined : named;
    const lastTerm = named?.term ?? (entry ? undefined : 0);
    if (lastTerm) this.highestTermSeen = Math.max(this.highestTermSeen, lastTerm);
    this.observation = { revision, record, free, lastTerm, seenAt: this.now() };
    const hold = this.hold;
    if (
      hold &&
      revision > hold.revision &&
      (record?.member !== this.member || record.term !== hold.term)
    ) {
      this.lose(lossReason(free, record));
    }
    const lapsed = this.lapsedHold;
    if (lapsed && revision > lapsed.revision) {
      // A renewal whose reply was lost may land later: it is still this member's hold.
      const ours = record?.member === this.member && record.term === lapsed.term;
      this.lapsedHold = ours ? { ...lapsed, revision } : undefined;
    }
    for (const wake of this.changeWaiters) wake();
    return this.observation;
  }

  private decodeRecord(entry: KvEntry): LeaseRecord | undefined {
    try {
      return decodeEntry(ClusterKeys.leader, entry).value;
    } catch {
      // A malformed lease is held by no one we can name; it is taken over after ttl like any other.
      return undefined;
    }
  }

  /**
   * The highest term the key's kept revisions name, for when the current one names none: a delete
   * made by hand, or a malformed value written over a live lease.
   */
  private async lastTermInHistory(): Promise<number> {
    let term = 0;
    const history = await this.store.history(ClusterKeys.leader);
    for await (const entry of history) {
      if (entry.operation === 'PUT') term = Math.max(term, this.decodeRecord(entry)?.term ?? 0);
    }
    return term;
  }

  private record(term: number): LeaseRecord {
    return create(LeaseRecordSchema, { member: this.member, term, ttl: this.ttlMs / 1000 });
  }
}

/** The `member` field of a value that does not decode as a lease record, for the report. */
function memberNamedBy(entry: KvEntry): string | undefined {
  try {
    const parsed: unknown = JSON.parse(entry.string());
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const member = (parsed as Record<string, unknown>).member;
    return typeof member === 'string' ? member : undefined;
  } catch {
    return undefined;
  }
}

function lossReason(free: boolean, record: LeaseRecord | undefined): string {
  if (free) return 'the lease was deleted';
  if (!record) return 'the leader key holds a malformed value';
  return `${record.member} holds the lease (term ${record.term})`;
}
