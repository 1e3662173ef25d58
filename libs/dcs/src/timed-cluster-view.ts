import type { NatsConnection } from '@nats-io/nats-core';
import {
  clusterFactsOf,
  inMaintenance,
  isDraining,
  serverKeyToken,
  statusAgeMs,
  type ClusterFacts,
  type MemberFacts,
} from '../../domain/src/index.ts';
import { ClusterKeys, MEMBER_KEY_PREFIX } from './cluster-keys.ts';
import { ClusterStore } from './cluster-store.ts';
import type { ClusterView } from './cluster-view.ts';
import { ClusterWatch, type ClusterViewListener } from './cluster-watch.ts';

/** How often a quiet watch is confirmed by a round trip to NATS. */
const CONFIRM_INTERVAL_MS = 1_000;

/**
 * A cluster view whose every key is timed on this process's monotonic clock when its latest revision
 * arrived, and which knows when NATS last confirmed it: what a reader needs to judge the lease and the
 * members' statuses from memory (the gateway's health checks, the metrics scrape). Keys already present
 * at start are timed from the start.
 */
export class TimedClusterView {
  private readonly receivedAt = new Map<string, number>();
  /** How old each member's status found at start already was then; later statuses arrive as they change. */
  private readonly ageAtStart = new Map<string, number>();
  private confirmedAt = 0;
  private confirmedWallMs = 0;
  private readonly confirmTimer: ReturnType<typeof setInterval>;

  private constructor(
    readonly store: ClusterStore,
    private readonly watch: ClusterWatch,
    private readonly scope: string,
    nc: NatsConnection,
  ) {
    const startedAt = performance.now();
    const startedWallMs = Date.now();
    for (const [name, entry] of watch.view.members) {
      this.receivedAt.set(MEMBER_KEY_PREFIX + name, startedAt);
      if (entry.storedAtMs !== undefined)
        this.ageAtStart.set(MEMBER_KEY_PREFIX + name, startedWallMs - entry.storedAtMs);
    }
    this.receivedAt.set(ClusterKeys.leader.name, startedAt);
    this.confirm();
    watch.subscribe((_view, key) => {
      this.receivedAt.set(key, performance.now());
      this.ageAtStart.delete(key);
      this.confirm();
    });
    this.confirmTimer = setInterval(() => {
      nc.rtt().then(
        () => this.confirm(),
        () => undefined,
      );
    }, CONFIRM_INTERVAL_MS);
    this.confirmTimer.unref?.();
  }

  static async open(
    nc: NatsConnection,
    options: { namespace: string; scope: string },
  ): Promise<TimedClusterView> {
    const store = await ClusterStore.open(nc, options);
    return new TimedClusterView(store, await ClusterWatch.start(store), options.scope, nc);
  }

  get view(): ClusterView {
    return this.watch.view;
  }

  subscribe(listener: ClusterViewListener): () => void {
    return this.watch.subscribe(listener);
  }

  /** Cluster-wide facts at monotonic time `now`. */
  facts(now: number): ClusterFacts {
    const view = this.view;
    const leader = view.leader?.value;
    return clusterFactsOf({
      scope: this.scope,
      nowMs: now,
      confirmedAtMs: this.confirmedAt,
      confirmedWallMs: this.confirmedWallMs,
      config: view.config?.value,
      leader,
      leaderSeenAtMs: this.receivedAt.get(ClusterKeys.leader.name),
      syncStandby: view.sync?.value.syncStandby,
      statusWalPosition: view.status?.value.optime,
      leaderMemberWalPosition: leader
        ? view.members.get(leader.member)?.value.xlogLocation
        : undefined,
      failsafeMembers: Object.keys(view.failsafe?.value.members ?? {}),
    });
  }

  /** One member's last status, how old it is, and whether `/v1/servers` took it out of the read rotation. */
  member(name: string, now: number): MemberFacts {
    const status = this.view.members.get(name)?.value;
    const key = MEMBER_KEY_PREFIX + name;
    const receivedAtMs = this.receivedAt.get(key);
    const server = this.view.servers.get(serverKeyToken(name))?.value;
    return {
      name,
      status,
      statusAgeMs:
        status && receivedAtMs !== undefined
          ? statusAgeMs({ receivedAtMs, ageAtReceiptMs: this.ageAtStart.get(key) ?? 0 }, now)
          : Number.POSITIVE_INFINITY,
      outOfReadRotation: inMaintenance(server) || isDraining(server),
    };
  }

  memberNames(): string[] {
    return [...this.view.members.keys()].sort();
  }

  stop(): void {
    clearInterval(this.confirmTimer);
    this.watch.stop();
  }

  private confirm(): void {
    this.confirmedAt = performance.now();
    this.confirmedWallMs = Date.now();
  }
}
