import type { QueuedIterator } from '@nats-io/nats-core';
import type { KvWatchEntry } from '@nats-io/kv';
import type { ClusterStore } from './cluster-store.ts';
import { applyEntry, EMPTY_CLUSTER_VIEW, type ClusterView } from './cluster-view.ts';

export type ClusterViewListener = (view: ClusterView, changedKey: string) => void;

/**
 * Keeps a ClusterView current from a KV watch on every key of the cluster, so that readers (the
 * gateway's health checks above all) answer from memory without a network round trip.
 */
export class ClusterWatch {
  private current: ClusterView = EMPTY_CLUSTER_VIEW;
  private readonly listeners = new Set<ClusterViewListener>();

  private constructor(private readonly watch: QueuedIterator<KvWatchEntry>) {}

  /** Resolves once the view holds every key's current value. */
  static async start(
    store: ClusterStore,
    options: { timeoutMs?: number } = {},
  ): Promise<ClusterWatch> {
    const lastRevision = await store.lastRevision();
    const watch = await store.watch();
    const clusterWatch = new ClusterWatch(watch);
    await clusterWatch.consume(lastRevision === 0, options.timeoutMs ?? 10_000);
    return clusterWatch;
  }

  get view(): ClusterView {
    return this.current;
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  subscribe(listener: ClusterViewListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.watch.stop();
    this.listeners.clear();
  }

  private consume(emptyBucket: boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let loaded = emptyBucket;
      const timer = setTimeout(() => {
        reject(new Error(`the cluster watch did not load the current keys within ${timeoutMs} ms`));
      }, timeoutMs);
      if (loaded) {
        clearTimeout(timer);
        resolve();
      }
      void (async () => {
        for await (const entry of this.watch) {
          this.current = applyEntry(this.current, entry);
          for (const listener of this.listeners) listener(this.current, entry.key);
          // The watch marks as an update the last of the values it had when it started.
          if (!loaded && entry.isUpdate) {
            loaded = true;
            clearTimeout(timer);
            resolve();
          }
        }
      })();
    });
  }
}
