import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { ClusterStore } from '../../libs/dcs/src/index.ts';

/**
 * The cluster's KV bucket opened directly, bypassing ClusterStore: for tests that write what no
 * natroni service writes (a value garbled by hand, a delete without compare-and-set) or list raw keys.
 */
export function rawBucket(nc: NatsConnection, store: ClusterStore): Promise<KV> {
  return new Kvm(jetstream(nc)).open(store.bucket);
}
