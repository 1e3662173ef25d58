import {
  effectiveRole,
  effectiveState,
  holdsLease,
  isQuorumStandby,
  isStatusFresh,
  isSyncStandby,
  tagsOf,
  type ClusterFacts,
  type MemberFacts,
} from './cluster-facts.ts';
import { maxLagFromQuery, parseByteSize } from './size-units.ts';

export type HealthCode = 200 | 503;

/** The query parameters the health checks read; blank values count as absent, as in Patroni. */
export interface HealthQuery {
  readonly lag?: string;
  readonly replicationState?: string;
  readonly mode?: string;
  readonly tags: ReadonlyArray<readonly [string, string]>;
}

export const EMPTY_HEALTH_QUERY: HealthQuery = { tags: [] };

/** Reads a raw query string (without `?`) like Python's parse_qs: first value wins, blanks dropped. */
export function parseHealthQuery(search: string): HealthQuery {
  if (search === '') return EMPTY_HEALTH_QUERY;
  const params = new URLSearchParams(search);
  const first = (name: string): string | undefined => {
    const value = params.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const tags: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!name.startsWith('tag_') || value === '' || seen.has(name)) continue;
    seen.add(name);
    tags.push([name.slice(4), value]);
  }
  const query: {
    lag?: string;
    replicationState?: string;
    mode?: string;
    tags: typeof tags;
  } = { tags };
  const lag = first('lag');
  if (lag !== undefined) query.lag = lag;
  const replicationState = first('replication_state');
  if (replicationState !== undefined) query.replicationState = replicationState;
  const mode = first('mode');
  if (mode !== undefined) query.mode = mode;
  return query;
}

interface RoleVerdicts {
  readonly leader: boolean;
  readonly primary: boolean;
  readonly standbyLeader: boolean;
  readonly replica: boolean;
}

function replayedWalPosition(member: MemberFacts): number {
  return member.status?.xlog?.replayedLocation ?? member.status?.replayLsn ?? 0;
}

function receivedWalPosition(member: MemberFacts): number {
  return member.status?.xlog?.receivedLocation ?? member.status?.receiveLsn ?? 0;
}

function leaderWalPositionFor(member: MemberFacts, cluster: ClusterFacts): number {
  return Math.max(cluster.leaderWalPosition, receivedWalPosition(member));
}

/**
 * Patroni's `do_GET`, with two deliberate differences: being the leader needs both the lease (timed
 * by the reader) and a status that says PostgreSQL runs in that role, so that two members never answer
 * 200 on /primary at the same instant; and a member in maintenance or draining (`/v1/servers`) is no
 * replica for the read endpoints, while /primary, /leader and /health answer as for any live node.
 */
function roleVerdicts(
  member: MemberFacts,
  cluster: ClusterFacts,
  query: HealthQuery,
): RoleVerdicts {
  const state = effectiveState(member, cluster);
  const role = effectiveRole(member);
  const running = state === 'running';
  const tags = tagsOf(member.status);
  const maxLag = maxLagFromQuery(query.lag);
  const leaderWalPosition = leaderWalPositionFor(member, cluster);
  const lagging =
    leaderWalPosition !== 0 && leaderWalPosition > replayedWalPosition(member) + maxLag;
  let replica =
    tags['noloadbalance'] !== true &&
    member.outOfReadRotation !== true &&
    !lagging &&
    role === 'replica' &&
    running;
  if (replica && query.replicationState !== undefined) {
    replica = member.status?.replicationState === query.replicationState;
  }

  if (!cluster.viewFresh && cluster.paused) {
    return {
      leader: role === 'primary' || role === 'standby_leader',
      primary: role === 'primary',
      standbyLeader: role === 'standby_leader',
      replica,
    };
  }
  if (holdsLease(member, cluster) && running) {
    if (cluster.standbyCluster) {
      const standbyLeader = role === 'replica' || role === 'standby_leader';
      return { leader: standbyLeader, primary: false, standbyLeader, replica: false };
    }
    const primary = role === 'primary';
    return { leader: primary, primary, standbyLeader: false, replica };
  }
  return { leader: false, primary: false, standbyLeader: false, replica };
}

function tagsMatch(member: MemberFacts, query: HealthQuery): boolean {
  const tags = tagsOf(member.status);
  for (const [key, expected] of query.tags) {
    if (!Object.hasOwn(tags, key)) return false;
    const value = tags[key];
    const actual = typeof value === 'string' ? value : String(value).toLowerCase();
    if (actual !== expected) return false;
  }
  return true;
}

const code = (ok: boolean): HealthCode => (ok ? 200 : 503);

/** The status code of a health check (`GET`, `HEAD` or `OPTIONS` on any path but the named handlers). */
export function healthVerdict(
  rawPath: string,
  query: HealthQuery,
  member: MemberFacts,
  cluster: ClusterFacts,
): HealthCode {
  const path = rawPath === '/' ? '/primary' : rawPath;
  const verdicts = roleVerdicts(member, cluster, query);
  let ok: boolean;
  let checkTags = true;
  if (path.includes('standby_leader') || path.includes('standby-leader')) {
    ok = verdicts.standbyLeader;
    checkTags = false;
  } else if (path.includes('leader')) {
    ok = verdicts.leader;
    checkTags = false;
  } else if (path.includes('master') || path.includes('primary') || path.includes('read-write')) {
    ok = verdicts.primary;
    checkTags = false;
  } else if (path.includes('replica')) {
    ok = verdicts.replica;
  } else if (path.includes('read-only') && !path.includes('sync') && !path.includes('quorum')) {
    ok = verdicts.primary || verdicts.standbyLeader || verdicts.replica;
  } else if (path.includes('health')) {
    ok = effectiveState(member, cluster) === 'running';
  } else if (cluster.viewFresh) {
    ok = synchronousVerdict(path, member, cluster, verdicts);
  } else {
    ok = false;
  }
  if (ok && checkTags && !tagsMatch(member, query)) ok = false;
  return code(ok);
}

function synchronousVerdict(
  path: string,
  member: MemberFacts,
  cluster: ClusterFacts,
  verdicts: RoleVerdicts,
): boolean {
  const sync = isSyncStandby(member.name, cluster) && member.status?.role === 'replica';
  const quorum = isQuorumStandby(member.name, cluster) && member.status?.role === 'replica';
  const leading = verdicts.primary || verdicts.standbyLeader;
  switch (path) {
    case '/sync':
    case '/synchronous':
      return sync && verdicts.replica;
    case '/quorum':
      return quorum && verdicts.replica;
    case '/async':
    case '/asynchronous':
      return !sync && !quorum && verdicts.replica;
    case '/read-only-quorum':
      return leading || (quorum && verdicts.replica);
    case '/read-only-sync':
    case '/read-only-synchronous':
      return leading || (sync && verdicts.replica);
    default:
      return false;
  }
}

/**
 * Patroni's `/liveness`, under the liveness rule: the member's agent is alive while its status is
 * younger than ttl. Patroni gives a replica 2 × ttl and says 200 whenever the cluster is paused, since
 * its own process answers; here the status is all a gateway sees of the member, and a member whose
 * status is older than ttl has left the cluster (member-liveness.ts), so it is not alive either.
 */
export function livenessVerdict(member: MemberFacts, cluster: ClusterFacts): HealthCode {
  return code(isStatusFresh(member, cluster));
}

/** `GET /readiness`, the readiness probe. */
export function readinessVerdict(
  query: HealthQuery,
  member: MemberFacts,
  cluster: ClusterFacts,
): HealthCode {
  const running = effectiveState(member, cluster) === 'running';
  const role = effectiveRole(member);
  if (holdsLease(member, cluster) && running && (role === 'primary' || role === 'standby_leader'))
    return 200;
  if (!running || !isStatusFresh(member, cluster)) return 503;
  if (member.status?.replicationState !== 'streaming') return 503;
  if (!cluster.viewFresh) return 503;
  const position =
    query.mode === 'write' ? receivedWalPosition(member) : replayedWalPosition(member);
  const lag = leaderWalPositionFor(member, cluster) - position;
  const maxLag =
    (query.lag === undefined ? undefined : parseByteSize(query.lag)) ??
    cluster.maximumLagOnFailover;
  return code(lag <= maxLag);
}
