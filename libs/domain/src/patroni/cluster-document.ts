import type { ClusterFacts } from './cluster-facts.ts';
import { formatLsn } from '../lsn.ts';
import { pendingRestartReasonOf, scheduledRestartOf } from './patroni-document.ts';
import type { FailoverRequest, JsonObject, MemberStatus } from './proto-types.ts';

/** Host and port of a `postgres://host:port/db` URL; undefined when it names no host. */
export function hostAndPort(connUrl: string): { host: string; port: number } | undefined {
  const match = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?]+)(?::(\d+))?/.exec(connUrl);
  if (!match?.[1]) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : 5432 };
}

function memberRole(name: string, cluster: ClusterFacts): string {
  if (name === cluster.leaderName) return cluster.standbyCluster ? 'standby_leader' : 'leader';
  if (cluster.syncStandbys.includes(name)) {
    if (cluster.synchronousMode === 'on') return 'sync_standby';
    if (cluster.synchronousMode === 'quorum') return 'quorum_standby';
  }
  return 'replica';
}

const LAG_FIELDS = [
  ['receive_', (status: MemberStatus) => status.receiveLsn],
  ['replay_', (status: MemberStatus) => status.replayLsn],
  ['', (status: MemberStatus) => status.xlogLocation],
] as const;

function memberEntry(
  status: MemberStatus,
  cluster: ClusterFacts,
  leaderWalPosition: number,
): JsonObject {
  const role = memberRole(status.name, cluster);
  const leading = role === 'leader' || role === 'standby_leader';
  const entry: JsonObject = {
    name: status.name,
    role,
    state: !leading && status.replicationState ? status.replicationState : status.state,
    api_url: status.apiUrl,
  };
  const address = hostAndPort(status.connUrl);
  if (address) {
    entry['host'] = address.host;
    entry['port'] = address.port;
  }
  if (status.timeline !== undefined) entry['timeline'] = status.timeline;
  if (status.pendingRestart) {
    entry['pending_restart'] = true;
    entry['pending_restart_reason'] = pendingRestartReasonOf(status);
  }
  const scheduledRestart = scheduledRestartOf(status);
  if (scheduledRestart) entry['scheduled_restart'] = scheduledRestart;
  if (status.tags && Object.keys(status.tags).length > 0) entry['tags'] = status.tags;
  if (!leading) {
    for (const [prefix, walPositionOf] of LAG_FIELDS) {
      const reported = walPositionOf(status);
      const position =
        reported !== undefined && Number.isSafeInteger(reported) && reported >= 0
          ? reported
          : undefined;
      entry[`${prefix}lsn`] = position === undefined ? 'unknown' : formatLsn(position);
      entry[`${prefix}lag`] =
        position === undefined ? 'unknown' : Math.max(0, leaderWalPosition - position);
    }
  }
  return entry;
}

/** `GET /cluster` from the members' statuses, sorted by name. */
export function clusterDocument(
  members: readonly MemberStatus[],
  cluster: ClusterFacts,
  failover: FailoverRequest | undefined,
): JsonObject {
  const leader = members.find((status) => status.name === cluster.leaderName);
  const leaderWalPosition = Math.max(cluster.leaderWalPosition, leader?.xlogLocation ?? 0);
  const sorted = [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const document: JsonObject = {
    members: sorted.map((status) => memberEntry(status, cluster, leaderWalPosition)),
    scope: cluster.scope,
  };
  if (cluster.paused) document['pause'] = true;
  if (failover?.scheduledAt) {
    const scheduled: JsonObject = { at: failover.scheduledAt };
    if (failover.leader) scheduled['from'] = failover.leader;
    if (failover.member) scheduled['to'] = failover.member;
    document['scheduled_switchover'] = scheduled;
  }
  return document;
}
