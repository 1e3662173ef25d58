import type { MemberStatus } from '../../../proto/src/index.ts';

/** A server's place in the replication tree (MaxScale 2.2's `node_id`, `master_id`, `replication_depth`, `slaves`). */
export interface ServerTopology {
  readonly nodeId: number;
  /** The node_id of the server it replicates from; -1 when none or unknown. */
  readonly masterId: number;
  /** 0 for the primary, 1 for its replicas, 2 for cascaded ones; -1 when unknown. */
  readonly replicationDepth: number;
  /** node_ids of the servers that replicate from this one. */
  readonly slaves: readonly number[];
}

export const UNKNOWN_TOPOLOGY: ServerTopology = {
  nodeId: -1,
  masterId: -1,
  replicationDepth: -1,
  slaves: [],
};

export interface TopologyMember {
  readonly name: string;
  readonly status: MemberStatus | undefined;
}

/**
 * The replication tree of the members, from the WAL senders each member reports (its standbys connect
 * with their member name as application_name). node_id is the member's 1-based rank by name.
 */
export function memberTopology(members: readonly TopologyMember[]): Map<string, ServerTopology> {
  const names = members.map((member) => member.name).sort();
  const nodeIds = new Map(names.map((name, index) => [name, index + 1]));
  const parents = new Map<string, string>();
  const children = new Map<string, string[]>();
  for (const member of members) {
    for (const row of member.status?.replication ?? []) {
      const child = row.applicationName;
      if (!nodeIds.has(child) || child === member.name || parents.has(child)) continue;
      parents.set(child, member.name);
      children.set(member.name, [...(children.get(member.name) ?? []), child]);
    }
  }
  const roles = new Map(members.map((member) => [member.name, member.status?.role]));
  const depthOf = (name: string): number => {
    let depth = 0;
    let current = name;
    const seen = new Set<string>([name]);
    for (;;) {
      const parent = parents.get(current);
      if (parent === undefined) return roles.get(current) === 'primary' ? depth : -1;
      if (seen.has(parent)) return -1;
      seen.add(parent);
      depth += 1;
      current = parent;
    }
  };
  const topology = new Map<string, ServerTopology>();
  for (const name of names) {
    const parent = parents.get(name);
    topology.set(name, {
      nodeId: nodeIds.get(name) ?? -1,
      masterId: parent === undefined ? -1 : (nodeIds.get(parent) ?? -1),
      replicationDepth: depthOf(name),
      slaves: (children.get(name) ?? [])
        .map((child) => nodeIds.get(child) ?? -1)
        .sort((a, b) => a - b),
    });
  }
  return topology;
}

/** "15.18" from server_version_num 150018, "9.6.24" from 90624; "" when unknown. */
export function postgresVersionString(versionNum: number | undefined): string {
  if (versionNum === undefined || versionNum <= 0) return '';
  const major = Math.floor(versionNum / 10000);
  if (major >= 10) return `${major}.${versionNum % 10000}`;
  return `${major}.${Math.floor(versionNum / 100) % 100}.${versionNum % 100}`;
}

/** Seconds since a `YYYY-MM-DD HH:MM:SS.ffffff+TZ` timestamp; 0 when unknown. */
export function uptimeSeconds(startTime: string | undefined, nowMs: number): number {
  if (!startTime) return 0;
  const started = Date.parse(startTime.replace(' ', 'T'));
  return Number.isFinite(started) ? Math.max(0, Math.floor((nowMs - started) / 1000)) : 0;
}
