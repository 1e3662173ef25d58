import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/nats-core';
import { headers } from '@nats-io/nats-core';
import { jetstream, PubHeaders, type JetStreamClient } from '@nats-io/jetstream';
import type { QueuedIterator } from '@nats-io/nats-core';
import { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
import { decodeWire, toWireJson } from '../../proto/src/index.ts';
import { clusterBucketName, MEMBER_KEY_PREFIX, type ClusterKey } from './cluster-keys.ts';
import { isWrongLastSequence, MalformedValueError, RevisionConflictError } from './dcs-errors.ts';
import { retryWithin } from './dcs-retry.ts';

const KV_OPERATION_HEADER = 'KV-Operation';
/**
 * How long a service starting beside a NATS cluster waits for JetStream: a cluster that lost a server
 * or its meta leader answers "JetStream system temporarily unavailable" for a few seconds, and a
 * service restarted then must wait it out instead of exiting.
 */
const OPEN_RETRY_MS = 30_000;
const UNAVAILABLE = /temporarily unavailable|timeout|no responders/i;

/** Like `retryWithin`, but only for the errors of a JetStream that is not there yet. */
async function retryWhileUnavailable<T>(boundMs: number, open: () => Promise<T>): Promise<T> {
  return retryWithin(boundMs, open, (error) => UNAVAILABLE.test(String(error)));
}

/** A decoded value and the KV revision that holds it (the token for compare-and-set). */
export interface Versioned<T> {
  readonly value: T;
  readonly revision: number;
  /** When NATS stored this revision (epoch milliseconds, the server's clock). */
  readonly storedAtMs?: number;
}

export interface ClusterStoreOptions {
  namespace: string;
  scope: string;
  /** As many as there are NATS servers: 1 locally, 3 on a three-server cluster. */
  replicas?: number;
  /** Bound on every JetStream request, so that no DCS call can hang forever. */
  requestTimeoutMs?: number;
}

/**
 * Typed access to one cluster's keys in JetStream KV.
 *
 * The bucket has no max_age: NATS 2.9 ignores per-key TTL and sends no watch event when a key
 * expires, so nothing here relies on server-side expiry (a bucket TTL would also expire `config`
 * and `history`). It keeps three revisions per key so that the leader lease can find the last term
 * under a delete marker after a release.
 */
export class ClusterStore {
  private constructor(
    private readonly kv: KV,
    readonly bucket: string,
    private readonly js: JetStreamClient,
  ) {}

  static async open(nc: NatsConnection, options: ClusterStoreOptions): Promise<ClusterStore> {
    const bucket = clusterBucketName(options.namespace, options.scope);
    const js = jetstream(nc, { timeout: options.requestTimeoutMs ?? 5_000 });
    const kvm = new Kvm(js);
    const kv = await retryWhileUnavailable(OPEN_RETRY_MS, () =>
      kvm.create(bucket, { history: 3, replicas: options.replicas ?? 1 }),
    );
    return new ClusterStore(kv, bucket, js);
  }

  /** The current value, undefined when absent or deleted; MalformedValueError when it does not decode. */
  async get<Desc extends DescMessage>(
    key: ClusterKey<Desc>,
  ): Promise<Versioned<MessageShape<Desc>> | undefined> {
    const entry = await this.kv.get(key.name);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return decodeEntry(key, entry);
  }

  async put<Desc extends DescMessage>(
    key: ClusterKey<Desc>,
    value: MessageShape<Desc>,
  ): Promise<number> {
    return this.kv.put(key.name, toWireJson(key.schema, value));
  }

  /** Writes only if the key is absent (or deleted); RevisionConflictError otherwise. */
  async create<Desc extends DescMessage>(
    key: ClusterKey<Desc>,
    value: MessageShape<Desc>,
  ): Promise<number> {
    try {
      return await this.kv.create(key.name, toWireJson(key.schema, value));
    } catch (error) {
      if (isWrongLastSequence(error))
        throw new RevisionConflictError(key.name, 0, { cause: error });
      throw error;
    }
  }

  /** Compare-and-set: writes only if `revision` is still the key's latest; RevisionConflictError otherwise. */
  async update<Desc extends DescMessage>(
    key: ClusterKey<Desc>,
    value: MessageShape<Desc>,
    revision: number,
  ): Promise<number> {
    try {
      return await this.kv.put(key.name, toWireJson(key.schema, value), { previousSeq: revision });
    } catch (error) {
      if (isWrongLastSequence(error))
        throw new RevisionConflictError(key.name, revision, { cause: error });
      throw error;
    }
  }

  /** Deletes the key; with `revision`, only if that is still its latest (compare-and-set delete). */
  async delete(key: ClusterKey<DescMessage>, revision?: number): Promise<void> {
    try {
      await this.kv.delete(key.name, revision === undefined ? {} : { previousSeq: revision });
    } catch (error) {
      if (isWrongLastSequence(error) && revision !== undefined) {
        throw new RevisionConflictError(key.name, revision, { cause: error });
      }
      throw error;
    }
  }

  /**
   * A compare-and-set delete whose delete marker still carries `value`. KV clients read a marker as
   * "deleted" whatever it holds; natroni reads the value back, so that the leader lease's term
   * survives a release without a history lookup.
   */
  async deleteLeaving<Desc extends DescMessage>(
    key: ClusterKey<Desc>,
    value: MessageShape<Desc>,
    revision: number,
  ): Promise<void> {
    const markerHeaders = headers();
    markerHeaders.set(KV_OPERATION_HEADER, 'DEL');
    markerHeaders.set(PubHeaders.ExpectedLastSubjectSequenceHdr, String(revision));
    try {
      await this.js.publish(`$KV.${this.bucket}.${key.name}`, toWireJson(key.schema, value), {
        headers: markerHeaders,
      });
    } catch (error) {
      if (isWrongLastSequence(error))
        throw new RevisionConflictError(key.name, revision, { cause: error });
      throw error;
    }
  }

  /**
   * The key's latest entry as stored, undecoded, a delete marker included (whose value a release
   * leaves, see deleteLeaving); null when the key never existed.
   */
  entry(key: ClusterKey<DescMessage>): Promise<KvEntry | null> {
    return this.kv.get(key.name);
  }

  /** Every kept revision of the key, oldest first, delete markers included. */
  history(key: ClusterKey<DescMessage>): Promise<QueuedIterator<KvEntry>> {
    return this.kv.history({ key: key.name });
  }

  /**
   * The entries of one key, or of every key of the cluster without one: the current ones first (the
   * last of them marked `isUpdate`), then each change; with `updatesOnly`, only the changes.
   */
  watch(
    key?: ClusterKey<DescMessage>,
    options: { updatesOnly?: boolean } = {},
  ): Promise<QueuedIterator<KvWatchEntry>> {
    return this.kv.watch({
      key: key?.name ?? '>',
      ...(options.updatesOnly ? { include: 'updates' as const } : {}),
    });
  }

  /** The bucket's last revision over all keys; 0 while nothing was ever written. */
  async lastRevision(): Promise<number> {
    const { streamInfo } = await this.kv.status();
    return streamInfo.state.last_seq;
  }

  /** Names of the members that have a key. */
  async memberNames(): Promise<string[]> {
    const names: string[] = [];
    for await (const key of await this.kv.keys(`${MEMBER_KEY_PREFIX}>`)) {
      names.push(key.slice(MEMBER_KEY_PREFIX.length));
    }
    return names.sort();
  }
}

export function decodeEntry<Desc extends DescMessage>(
  key: ClusterKey<Desc>,
  entry: KvEntry,
): Versioned<MessageShape<Desc>> {
  try {
    return {
      value: decodeWire(key.schema, entry.value),
      revision: entry.revision,
      storedAtMs: entry.created.getTime(),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MalformedValueError(key.name, entry.revision, reason);
  }
}
