import type { ClusterFacts, MemberFacts } from '../patroni/cluster-facts.ts';
import { formatLsn } from '../lsn.ts';
import { clusterDocument } from '../patroni/cluster-document.ts';
import { historyDocument } from '../patroni/history-document.ts';
import { presentMembers } from '../patroni/member-liveness.ts';
import { patroniEpochSeconds } from '../patroni/patroni-metrics.ts';
import type { FailoverRequest, History, JsonObject, JsonValue } from '../patroni/proto-types.ts';
import type { LeaseRecord } from '../../../proto/src/index.ts';

/** The roles `/cluster` names, with the words the status page shows for them. */
export const ROLE_WORDS: Readonly<Record<string, string>> = {
  leader: 'Leader (primary)',
  standby_leader: 'Standby leader',
  sync_standby: 'Synchronous standby',
  quorum_standby: 'Quorum standby',
  replica: 'Replica',
};

export interface StatusPageMember {
  readonly name: string;
  readonly role: string;
  readonly roleWords: string;
  readonly state: string;
  readonly timeline: number | null;
  /** The leader's WAL position; for a replica the larger of received and replayed. */
  readonly lsn: string | null;
  readonly receiveLsn: string | null;
  readonly replayLsn: string | null;
  /** Bytes behind the leader (`/cluster`'s `lag`); null for the leader or when unknown. */
  readonly lagBytes: number | null;
  readonly replayLagBytes: number | null;
  /** Seconds since the last replayed transaction while the replica is behind; 0 when caught up. */
  readonly lagSeconds: number | null;
  readonly statusAgeMs: number;
  readonly tags: JsonObject;
  readonly pendingRestart: boolean;
  readonly pendingRestartReason: JsonValue | null;
  readonly scheduledRestart: JsonValue | null;
  readonly maintenance: boolean;
  readonly draining: boolean;
  readonly apiUrl: string;
}

export interface StatusPageDocument {
  readonly scope: string;
  /** Wall-clock epoch milliseconds when the gateway made this document. */
  readonly generatedAt: number;
  readonly paused: boolean;
  readonly failsafe: { readonly enabled: boolean; readonly members: readonly string[] };
  readonly synchronousMode: string;
  readonly syncStandbys: readonly string[];
  readonly lease: {
    readonly holder: string;
    readonly term: number;
    readonly ttlSeconds: number;
    /** What is left of the lease by the gateway's clock at `generatedAt`; negative once it ran out. */
    readonly timeLeftMs: number;
    readonly valid: boolean;
  } | null;
  readonly scheduledSwitchover: JsonValue | null;
  readonly members: readonly StatusPageMember[];
  /** `/history`'s rows as objects, newest first, the LSN as PostgreSQL writes it. */
  readonly history: readonly {
    readonly timeline: number;
    readonly lsn: string;
    readonly reason: string;
    readonly timestamp: string;
    readonly newLeader: string | null;
  }[];
}

export interface StatusPageInput {
  readonly facts: ClusterFacts;
  /** Every member with a key, present or not: those gone by the liveness rule are left out. */
  readonly members: readonly MemberFacts[];
  readonly lease: LeaseRecord | undefined;
  /** How long ago the reader received the leader key's latest revision. */
  readonly leaseAgeMs: number;
  readonly failover: FailoverRequest | undefined;
  readonly history: History | undefined;
  /** Whether `/v1/servers` put a member in maintenance or drains it. */
  readonly serverState: (name: string) => { maintenance: boolean; draining: boolean };
  readonly nowWallMs: number;
}

function numberOrNull(value: JsonValue | undefined): number | null {
  return typeof value === 'number' ? value : null;
}

function textOrNull(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value !== 'unknown' ? value : null;
}

/** Lag in seconds as monitoring tools take it: now − last replayed transaction, while bytes are behind. */
function lagSeconds(
  replayLagBytes: number | null,
  replayedTimestamp: string | undefined,
  nowWallMs: number,
): number | null {
  if (replayLagBytes === null) return null;
  if (replayLagBytes === 0) return 0;
  const replayedAt = patroniEpochSeconds(replayedTimestamp);
  if (replayedAt === 0) return null;
  return Math.max(0, Math.round((nowWallMs / 1000 - replayedAt) * 10) / 10);
}

/**
 * Everything the status page shows, from the gateway's cluster view: the members `/cluster` lists (with
 * its roles, states, LSNs and lags), the lease, pause, failsafe, synchronous standbys and `/history`.
 */
export function statusPageDocument(input: StatusPageInput): StatusPageDocument {
  const { facts } = input;
  const statuses = presentMembers(input.members, facts);
  const cluster = clusterDocument(statuses, facts, input.failover);
  const entries = (cluster['members'] ?? []) as JsonObject[];
  const members = entries.map((entry): StatusPageMember => {
    const name = String(entry['name']);
    const facts = input.members.find((member) => member.name === name);
    const status = facts?.status;
    const role = String(entry['role']);
    const replayLagBytes = numberOrNull(entry['replay_lag']);
    return {
      name,
      role,
      roleWords: ROLE_WORDS[role] ?? role,
      state: String(entry['state']),
      timeline: numberOrNull(entry['timeline']),
      lsn:
        textOrNull(entry['lsn']) ??
        (status?.xlogLocation === undefined ? null : formatPosition(status.xlogLocation)),
      receiveLsn: textOrNull(entry['receive_lsn']),
      replayLsn: textOrNull(entry['replay_lsn']),
      lagBytes: numberOrNull(entry['lag']),
      replayLagBytes,
      lagSeconds: lagSeconds(replayLagBytes, status?.xlog?.replayedTimestamp, input.nowWallMs),
      statusAgeMs: Math.round(facts?.statusAgeMs ?? 0),
      tags: (entry['tags'] as JsonObject | undefined) ?? {},
      pendingRestart: entry['pending_restart'] === true,
      pendingRestartReason: entry['pending_restart_reason'] ?? null,
      scheduledRestart: entry['scheduled_restart'] ?? null,
      ...input.serverState(name),
      apiUrl: String(entry['api_url'] ?? ''),
    };
  });
  const lease = input.lease;
  return {
    scope: facts.scope,
    generatedAt: input.nowWallMs,
    paused: facts.paused,
    failsafe: { enabled: facts.failsafeMode, members: facts.failsafeMembers },
    synchronousMode: facts.synchronousMode,
    syncStandbys: facts.syncStandbys,
    lease: lease
      ? {
          holder: lease.member,
          term: lease.term,
          ttlSeconds: lease.ttl,
          timeLeftMs: Math.round(lease.ttl * 1000 - input.leaseAgeMs),
          valid: facts.leaseValid,
        }
      : null,
    scheduledSwitchover: cluster['scheduled_switchover'] ?? null,
    members,
    history: historyDocument(input.history)
      .map((row) => {
        const [timeline, lsn, reason, timestamp, newLeader] = row as [
          number,
          number,
          string,
          string,
          string | undefined,
        ];
        return {
          timeline,
          lsn: formatPosition(lsn) ?? String(lsn),
          reason,
          timestamp,
          newLeader: newLeader ?? null,
        };
      })
      .reverse(),
  };
}

function formatPosition(offset: number): string | null {
  return Number.isSafeInteger(offset) && offset >= 0 ? formatLsn(offset) : null;
}
