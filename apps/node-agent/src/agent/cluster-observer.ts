import {
  clusterHaTimings,
  standbyClusterOf,
  type StandbyCluster,
} from '../../../../libs/domain/src/election/index.ts';
import { parseSeconds } from '../../../../libs/domain/src/index.ts';
import type { ParameterValue } from '../../../../libs/member-config/src/index.ts';
import { ClusterWatch, liveMembers, type ClusterStore } from '../../../../libs/dcs/src/index.ts';
import type { LeaseRecord } from '../../../../libs/proto/src/index.ts';

const DEFAULT_MEMBER_SLOTS_TTL = '30min';

/** The `leader` key as this agent last received it, timed on its own monotonic clock. */
export interface LeaderSighting {
  readonly record: LeaseRecord | undefined;
  readonly revision: number;
  /** performance.now() when this revision arrived. */
  readonly receivedAt: number;
}

type LeaderListener = (sighting: LeaderSighting) => void;

/**
 * What the agent needs from the cluster's keys, kept current by one KV watch: the leader key (for
 * term fencing and self-fencing), the dynamic configuration, and the other members' addresses.
 */
export class ClusterObserver {
  private leaderSighting: LeaderSighting = { record: undefined, revision: 0, receivedAt: 0 };
  private readonly listeners = new Set<LeaderListener>();

  private constructor(
    private readonly watch: ClusterWatch,
    private readonly bootstrapDcs: Readonly<Record<string, unknown>>,
  ) {
    this.noteLeader();
    watch.subscribe((_view, changedKey) => {
      if (changedKey === 'leader') this.noteLeader();
    });
  }

  /** `bootstrapDcs`: the member file's `bootstrap.dcs`, the timings before the cluster has a config. */
  static async start(
    store: ClusterStore,
    bootstrapDcs: Readonly<Record<string, unknown>>,
  ): Promise<ClusterObserver> {
    return new ClusterObserver(await ClusterWatch.start(store), bootstrapDcs);
  }

  stop(): void {
    this.watch.stop();
    this.listeners.clear();
  }

  get leader(): LeaderSighting {
    return this.leaderSighting;
  }

  onLeader(listener: LeaderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first sighting that satisfies `accept`, or undefined after `timeoutMs`. */
  awaitLeader(
    accept: (sighting: LeaderSighting) => boolean,
    timeoutMs: number,
  ): Promise<LeaderSighting | undefined> {
    if (accept(this.leaderSighting)) return Promise.resolve(this.leaderSighting);
    return new Promise((resolve) => {
      const unsubscribe = this.onLeader((sighting) => {
        if (!accept(sighting)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(sighting);
      });
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(undefined);
      }, timeoutMs);
    });
  }

  /** The lease ttl, timed exactly as the election times it. */
  get ttlMs(): number {
    return clusterHaTimings(this.watch.view.config?.value, this.bootstrapDcs).ttlMs;
  }

  /** loop_wait, timed exactly as the election times it. */
  get loopWaitMs(): number {
    return clusterHaTimings(this.watch.view.config?.value, this.bootstrapDcs).loopWaitMs;
  }

  /** The `failsafe_mode` of the dynamic configuration (default false). */
  get failsafeMode(): boolean {
    return this.watch.view.config?.value.failsafeMode === true;
  }

  /** The `failsafe` key's members and their api_url, as last seen; undefined when the key is absent. */
  get failsafeTopology(): Readonly<Record<string, string>> | undefined {
    return this.watch.view.failsafe?.value.members;
  }

  /** Members whose status was published within ttl (wall clock, as the status carries it). */
  liveMembers(): string[] {
    return liveMembers(this.watch.view, this.ttlMs);
  }

  /** Where `member`'s election accepts failsafe notices over HTTP, if it published an address. */
  electionFailsafeUrl(member: string): string | undefined {
    const url = this.watch.view.elections.get(member)?.value.failsafeUrl;
    return url ? url : undefined;
  }

  /** The names of the dynamic configuration's permanent `slots`. */
  get permanentSlots(): string[] {
    return Object.keys(this.watch.view.config?.value.slots ?? {});
  }

  /** The dynamic configuration's `ignore_slots` matchers. */
  get ignoreSlots(): Readonly<Record<string, unknown>>[] {
    return this.watch.view.config?.value.ignoreSlots ?? [];
  }

  /** `member_slots_ttl` (default 30min; Patroni's units: ms, s, min, h, d). */
  get memberSlotsTtlMs(): number {
    const seconds = parseSeconds(
      this.watch.view.config?.value.memberSlotsTtl ?? DEFAULT_MEMBER_SLOTS_TTL,
    );
    return seconds !== undefined && seconds >= 0 ? seconds * 1_000 : 1_800_000;
  }

  /** The dynamic configuration's `standby_cluster`, when it makes this cluster a standby cluster. */
  get standbyCluster(): StandbyCluster | undefined {
    return standbyClusterOf(this.watch.view.config?.value.standbyCluster);
  }

  get useSlots(): boolean {
    return this.watch.view.config?.value.postgresql?.useSlots ?? true;
  }

  get dynamicParameters(): Record<string, ParameterValue> {
    const parameters: Record<string, ParameterValue> = {};
    const fromKey = this.watch.view.config?.value.postgresql?.parameters ?? {};
    for (const [name, value] of Object.entries(fromKey)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        parameters[name] = value;
      }
    }
    return parameters;
  }

  memberConnUrl(member: string): string | undefined {
    const url = this.watch.view.members.get(member)?.value.connUrl;
    return url === '' ? undefined : url;
  }

  /** Members other than `self` that carry the `clonefrom` tag and run, in name order. */
  cloneSources(self: string): string[] {
    const sources: string[] = [];
    for (const [name, { value }] of this.watch.view.members) {
      if (name !== self && value.tags?.clonefrom === true && value.state === 'running') {
        sources.push(name);
      }
    }
    return sources.sort();
  }

  private noteLeader(): void {
    const leader = this.watch.view.leader;
    this.leaderSighting = {
      record: leader?.value,
      revision: leader?.revision ?? 0,
      receivedAt: performance.now(),
    };
    for (const listener of this.listeners) listener(this.leaderSighting);
  }
}
