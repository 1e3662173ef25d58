import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import type { ServerTopology } from './member-topology.ts';
import { shownParameters } from './server-parameters.ts';
import { serverStateString, type ServerStatusBits } from './server-state.ts';

/** Connection counts, named like MaxScale's server statistics. */
export interface ServerConnections {
  readonly connections: number;
  readonly totalConnections: number;
  readonly maxConnections: number;
  readonly activeOperations: number;
}

export const NO_CONNECTIONS: ServerConnections = {
  connections: 0,
  totalConnections: 0,
  maxConnections: 0,
  activeOperations: 0,
};

/** Everything a server resource shows, gathered by the reader (the gateway) from the cluster view. */
export interface ServerFacts {
  readonly name: string;
  /** A natroni member (monitored by the cluster's monitor), as opposed to a server created by POST. */
  readonly member: boolean;
  /** Stored parameters, with address and port filled in from a member's conn_url. */
  readonly parameters: JsonObject;
  readonly bits: ServerStatusBits;
  readonly connections: ServerConnections;
  readonly versionString: string;
  readonly uptime: number;
  readonly replicationLag: number;
  readonly topology: ServerTopology;
  readonly services: readonly string[];
  readonly monitors: readonly string[];
}

/**
 * Where links point: `http(s)://<Host header>/` plus `v1/` when the request used it. Every link ends
 * in `/`, as MaxScale's do.
 */
export interface LinkBase {
  readonly base: string;
}

export function linkBase(scheme: string, host: string, versioned: boolean): LinkBase {
  return { base: `${scheme}://${host}/${versioned ? 'v1/' : ''}` };
}

export function serverLink(links: LinkBase, name: string): string {
  return `${links.base}servers/${encodeURIComponent(name)}/`;
}

const DISTRIBUTION_TIMES = Array.from({ length: 12 }, (_, index) => (10 ** (index - 6)).toFixed(6));

function responseTimes(operation: 'read' | 'write'): JsonObject {
  return {
    distribution: DISTRIBUTION_TIMES.map((time) => ({ count: 0, time, total: 0 })),
    operation,
    range_base: 10,
  };
}

const RESPONSE_TIME_DISTRIBUTION = { read: responseTimes('read'), write: responseTimes('write') };

function statistics(connections: ServerConnections): JsonObject {
  return {
    active_operations: connections.activeOperations,
    adaptive_avg_select_time: '0ns',
    connection_pool_empty: 0,
    connections: connections.connections,
    failed_auths: 0,
    max_connections: connections.maxConnections,
    max_pool_size: 0,
    persistent_connections: 0,
    response_time_distribution: RESPONSE_TIME_DISTRIBUTION,
    reused_connections: 0,
    routed_packets: 0,
    routed_reads: 0,
    routed_writes: 0,
    total_connections: connections.totalConnections,
  };
}

function relationship(
  links: LinkBase,
  server: string,
  kind: 'services' | 'monitors',
  names: readonly string[],
): JsonObject {
  return {
    data: [...new Set(names)].sort().map((id) => ({ id, type: kind })),
    links: {
      related: `${links.base}${kind}/`,
      self: `${serverLink(links, server)}relationships/${kind}/`,
    },
  };
}

/** The relationships object: a kind appears only when it has at least one link, as in MaxScale. */
export function serverRelationships(links: LinkBase, facts: ServerFacts): JsonObject {
  const relationships: JsonObject = {};
  if (facts.services.length > 0)
    relationships['services'] = relationship(links, facts.name, 'services', facts.services);
  if (facts.monitors.length > 0)
    relationships['monitors'] = relationship(links, facts.name, 'monitors', facts.monitors);
  return relationships;
}

export function serverResource(links: LinkBase, facts: ServerFacts): JsonObject {
  const topology = facts.topology;
  return {
    id: facts.name,
    type: 'servers',
    attributes: {
      parameters: shownParameters(facts.parameters),
      state: serverStateString(facts.bits, facts.connections.connections),
      version_string: facts.versionString,
      replication_lag: facts.replicationLag,
      uptime: facts.uptime,
      statistics: statistics(facts.connections),
      source: { type: facts.member ? 'static' : 'cluster', file: null },
      node_id: topology.nodeId,
      master_id: topology.masterId,
      replication_depth: topology.replicationDepth,
      slaves: [...topology.slaves],
    },
    links: { self: serverLink(links, facts.name) },
    relationships: serverRelationships(links, facts),
  };
}

export function collectionDocument(self: string, data: JsonValue[]): JsonObject {
  return { links: { self }, data };
}

export function singleDocument(self: string, data: JsonObject): JsonObject {
  return { links: { self }, data };
}

/** A service or monitor of the `/v1` API: what a server's relationship links resolve to. */
export interface LinkedObjectFacts {
  readonly name: string;
  readonly kind: 'services' | 'monitors';
  readonly servers: readonly string[];
  readonly attributes: JsonObject;
}

export function linkedObjectResource(links: LinkBase, facts: LinkedObjectFacts): JsonObject {
  const self = `${links.base}${facts.kind}/${encodeURIComponent(facts.name)}/`;
  const relationships: JsonObject = {};
  if (facts.servers.length > 0) {
    relationships['servers'] = {
      data: [...facts.servers].map((id) => ({ id, type: 'servers' })),
      links: { related: `${links.base}servers/`, self: `${self}relationships/servers/` },
    };
  }
  return {
    id: facts.name,
    type: facts.kind,
    attributes: facts.attributes,
    links: { self },
    relationships,
  };
}
