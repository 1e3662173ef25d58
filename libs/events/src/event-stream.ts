import type { NatsConnection } from '@nats-io/nats-core';
import {
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
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
  const name = eventStreamName(namespace, scope);
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(name);
    return name;
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
    await jsm.streams.add(config);
  } catch (error) {
    // Another service created it meanwhile with the same configuration.
    await jsm.streams.info(name).catch(() => {
      throw error;
    });
  }
  return name;
}
