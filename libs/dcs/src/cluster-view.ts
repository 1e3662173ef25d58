import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { KvEntry } from '@nats-io/kv';
import type {
  ClusterStatus,
  DynamicConfig,
  ElectionEndpoint,
  FailoverRequest,
  FailsafeTopology,
  History,
  InitializeRecord,
  LeaseRecord,
  MemberStatus,
  ServerMonitorLease,
  ServerObservation,
  ServerRecord,
  SyncState,
} from '../../proto/src/index.ts';
import {
  ClusterKeys,
  ELECTION_KEY_PREFIX,
  electionKey,
  MEMBER_KEY_PREFIX,
  memberKey,
  SERVER_KEY_PREFIX,
  SERVER_STATE_KEY_PREFIX,
  serverKey,
  serverStateKey,
  type ClusterKey,
} from './cluster-keys.ts';
import { decodeEntry, type Versioned } from './cluster-store.ts';
import { MalformedValueError } from './dcs-errors.ts';

/** Everything the DCS holds for one cluster, as last seen by a watch. Immutable: each change makes a new one. */
export interface ClusterView {
  /** The highest KV revision applied to this view. */
  readonly revision: number;
  readonly initialize?: Versioned<InitializeRecord>;
  readonly config?: Versioned<DynamicConfig>;
  readonly leader?: Versioned<LeaseRecord>;
  readonly failover?: Versioned<FailoverRequest>;
  readonly sync?: Versioned<SyncState>;
  readonly history?: Versioned<History>;
  readonly status?: Versioned<ClusterStatus>;
  readonly failsafe?: Versioned<FailsafeTopology>;
  /** Which gateway monitors the servers natroni does not manage. */
  readonly serverMonitor?: Versioned<ServerMonitorLease>;
  readonly members: ReadonlyMap<string, Versioned<MemberStatus>>;
  /** Each member election's failsafe endpoint, by member name. */
  readonly elections: ReadonlyMap<string, Versioned<ElectionEndpoint>>;
  /** The `/v1/servers` records, by key token (the lower-case server name). */
  readonly servers: ReadonlyMap<string, Versioned<ServerRecord>>;
  /** What the monitor last saw of each server natroni does not manage, by the same key token. */
  readonly serverStates: ReadonlyMap<string, Versioned<ServerObservation>>;
  /** Keys whose value does not decode; they stay out of the fields above until fixed. */
  readonly malformed: ReadonlyMap<string, MalformedValueError>;
}

export const EMPTY_CLUSTER_VIEW: ClusterView = {
  revision: 0,
  members: new Map(),
  elections: new Map(),
  servers: new Map(),
  serverStates: new Map(),
  malformed: new Map(),
};

type SingleKeyField = keyof typeof ClusterKeys;

const singleKeyFields = new Map<string, SingleKeyField>(
  Object.entries(ClusterKeys).map(([field, key]) => [key.name, field as SingleKeyField]),
);

function decodeOrMalformed<Desc extends DescMessage>(
  key: ClusterKey<Desc>,
  entry: KvEntry,
): Versioned<MessageShape<Desc>> | MalformedValueError {
  try {
    return decodeEntry(key, entry);
  } catch (error) {
    if (error instanceof MalformedValueError) return error;
    throw error;
  }
}

function decodeOrServerKeyError<Desc extends DescMessage>(
  keyOf: (name: string) => ClusterKey<Desc>,
  name: string,
  entry: KvEntry,
): Versioned<MessageShape<Desc>> | MalformedValueError {
  let key: ClusterKey<Desc>;
  try {
    key = keyOf(name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return new MalformedValueError(entry.key, entry.revision, reason);
  }
  return decodeOrMalformed(key, entry);
}

/** Applies one KV change to a view. Keys outside the DCS layout are ignored. */
export function applyEntry(view: ClusterView, entry: KvEntry): ClusterView {
  const revision = Math.max(view.revision, entry.revision);
  const removed = entry.operation !== 'PUT';
  const malformed = new Map(view.malformed);
  malformed.delete(entry.key);

  const field = singleKeyFields.get(entry.key);
  if (field) {
    if (removed) return { ...view, revision, malformed, [field]: undefined };
    const decoded = decodeOrMalformed(ClusterKeys[field] as ClusterKey<DescMessage>, entry);
    if (decoded instanceof MalformedValueError) {
      malformed.set(entry.key, decoded);
      return { ...view, revision, malformed, [field]: undefined };
    }
    return { ...view, revision, malformed, [field]: decoded };
  }

  if (entry.key.startsWith(MEMBER_KEY_PREFIX)) {
    const name = entry.key.slice(MEMBER_KEY_PREFIX.length);
    const members = new Map(view.members);
    members.delete(name);
    if (!removed) {
      const decoded = decodeOrMalformed(memberKey(name), entry);
      if (decoded instanceof MalformedValueError) malformed.set(entry.key, decoded);
      else members.set(name, decoded);
    }
    return { ...view, revision, members, malformed };
  }

  if (entry.key.startsWith(ELECTION_KEY_PREFIX)) {
    const name = entry.key.slice(ELECTION_KEY_PREFIX.length);
    const elections = new Map(view.elections);
    elections.delete(name);
    if (!removed) {
      let decoded: Versioned<ElectionEndpoint> | MalformedValueError;
      try {
        decoded = decodeOrMalformed(electionKey(name), entry);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        decoded = new MalformedValueError(entry.key, entry.revision, reason);
      }
      if (decoded instanceof MalformedValueError) malformed.set(entry.key, decoded);
      else elections.set(name, decoded);
    }
    return { ...view, revision, elections, malformed };
  }

  if (entry.key.startsWith(SERVER_KEY_PREFIX)) {
    const name = entry.key.slice(SERVER_KEY_PREFIX.length);
    const servers = new Map(view.servers);
    servers.delete(name);
    if (!removed) {
      const decoded = decodeOrServerKeyError(serverKey, name, entry);
      if (decoded instanceof MalformedValueError) malformed.set(entry.key, decoded);
      else servers.set(name, decoded);
    }
    return { ...view, revision, servers, malformed };
  }

  if (entry.key.startsWith(SERVER_STATE_KEY_PREFIX)) {
    const name = entry.key.slice(SERVER_STATE_KEY_PREFIX.length);
    const serverStates = new Map(view.serverStates);
    serverStates.delete(name);
    if (!removed) {
      const decoded = decodeOrServerKeyError(serverStateKey, name, entry);
      if (decoded instanceof MalformedValueError) malformed.set(entry.key, decoded);
      else serverStates.set(name, decoded);
    }
    return { ...view, revision, serverStates, malformed };
  }
  return { ...view, revision };
}

/**
 * Members whose status was published within `ttlMs` of `nowMs` (wall clock, as the status carries it).
 * Member keys outlive their members (the bucket has no per-key TTL), so this is who is still there.
 */
export function liveMembers(view: ClusterView, ttlMs: number, nowMs = Date.now()): string[] {
  return [...view.members].flatMap(([name, { value }]) =>
    value.updatedAt && nowMs - timestampMs(value.updatedAt) <= ttlMs ? [name] : [],
  );
}
