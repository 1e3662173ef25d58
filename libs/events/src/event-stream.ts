import type { NatsConnection } from '@nats-io/nats-core';
import {
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { assertValidName } from '../../domain/src/index.ts';

const SEVEN_DAYS_NS = 7 * 24 * 3_600 * 1_000_000_000;
const MAX_EVENTS = 100_000;
const STREAM_NOT_FOUND = 10059;

/** `<namespace>_<scope>_events`: the JetStream stream that keeps a cluster's events for replay. */
export function eventStreamName(namespace: string, scope: string): string {
  return `${assertValidName('namespace', namespace)}_${assertValidName('scope', scope)}_events`;
}

/** `<namespace>.<scope>.events.<kind>`, or the wildcard of all kinds when `kind` is omitted. */
export function eventSubject(namespace: string, scope: string, kind = '>'): string {
  return `${namespace}.${scope}.events.${kind}`;
}

/**
 * Creates the cluster's event stream unless it exists (idempotent, safe to call from every service):
 * file storage, bounded to seven days and 100 000 events, oldest dropped first.
 */
export async function ensureEventStream(
  nc: NatsConnection,
  namespace: string,
  scope: string,
  options: { replicas?: number } = {},
): Promise<string> {
  return (await ensuredEventStreamInfo(nc, namespace, scope, options)).config.name;
}

/**
 * The sequence of the last event stored, creating the stream first if needed: where a reader that has
 * just read the keys starts, so that it replays nothing they already show.
 */
export async function eventStreamLastSequence(
  nc: NatsConnection,
  namespace: string,
  scope: string,
): Promise<number> {
  return (await ensuredEventStreamInfo(nc, namespace, scope)).state.last_seq;
}

async function ensuredEventStreamInfo(
  nc: NatsConnection,
  namespace: string,
  scope: string,
  options: { replicas?: number } = {},
): Promise<StreamInfo> {
  const name = eventStreamName(namespace, scope);
  const jsm = await jetstreamManager(nc);
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NOT_FOUND) throw error;
  }
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    subjects: [eventSubject(namespace, scope)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: SEVEN_DAYS_NS,
    max_msgs: MAX_EVENTS,
    num_replicas: options.replicas ?? 1,
    // Server-side deduplication on the event id (Nats-Msg-Id) for retried publications.
    duplicate_window: 2 * 60 * 1_000_000_000,
  };
  try {
    return await jsm.streams.add(config);
  } catch (error) {
    // Another service created it meanwhile with the same configuration.
    return await jsm.streams.info(name).catch(() => {
      throw error;
    });
  }
}
