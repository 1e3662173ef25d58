import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@bufbuild/protobuf';
import {
  holdsLease,
  isStatusFresh,
  memberTopology,
  postgresVersionString,
  serverKeyToken,
  UNKNOWN_TOPOLOGY,
  uptimeSeconds,
  NO_CONNECTIONS,
  type ObjectDirectory,
  type ServerFacts,
} from '../../../../libs/domain/src/index.ts';
import type { MemberStatus, ServerRecord } from '../../../../libs/proto/src/index.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { connectionsOf, UnmanagedServerMonitor } from './unmanaged-server-monitor.ts';
import { V1_SETTINGS, type V1Settings } from './v1-settings.ts';

/** One entry of the inventory: the facts a resource shows, and the record natroni stores for it. */
export interface InventoryServer {
  readonly facts: ServerFacts;
  readonly record: ServerRecord | undefined;
  readonly revision: number | undefined;
}

function memberEndpoint(status: MemberStatus | undefined): JsonObject {
  if (!status?.connUrl) return {};
  try {
    const url = new URL(status.connUrl);
    const address = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { address, port: url.port === '' ? 5432 : Number(url.port), protocol: 'postgresql' };
  } catch {
    return {};
  }
}

/**
 * The servers of the `/v1` API as the gateway sees them now: every natroni member (from its status,
 * with what is stored under `servers.<name>`), then every server created through the API, in
 * creation order. Also the services and the cluster's monitor they link to.
 */
@Injectable()
export class ServerInventory implements ObjectDirectory {
  private cached: { key: string; servers: InventoryServer[] } | undefined;

  constructor(
    private readonly cluster: LiveCluster,
    private readonly monitor: UnmanagedServerMonitor,
    @Inject(V1_SETTINGS) private readonly settings: V1Settings,
  ) {}

  /** The cluster's one monitor, named after the scope. */
  get monitorName(): string {
    return this.cluster.scope;
  }

  get services(): readonly string[] {
    return this.settings.services;
  }

  exists(kind: string, name: string): boolean {
    if (kind === 'services') return this.settings.services.includes(name);
    if (kind === 'monitors') return name === this.monitorName;
    if (kind === 'servers') return this.find(name) !== undefined;
    return false;
  }

  /** The kind of object that already has this name (case-insensitively), if any. */
  kindNamed(name: string): 'server' | 'service' | 'monitor' | undefined {
    const token = serverKeyToken(name);
    if (this.find(name)) return 'server';
    if (this.settings.services.some((service) => service.toLowerCase() === token)) return 'service';
    if (this.monitorName.toLowerCase() === token) return 'monitor';
    return undefined;
  }

  find(name: string): InventoryServer | undefined {
    const token = serverKeyToken(name);
    return this.servers().find((server) => serverKeyToken(server.facts.name) === token);
  }

  /** Changes whenever the servers may have: view revision, poll results, lease, and each second. */
  version(now = performance.now()): string {
    const facts = this.cluster.facts(now);
    return `${this.cluster.view.revision}:${this.monitor.version}:${Math.floor(now / 1000)}:${facts.leaseValid}`;
  }

  /** Cached per version (a member's status goes stale with time, hence the second). */
  servers(now = performance.now()): InventoryServer[] {
    const key = this.version(now);
    if (this.cached?.key === key) return this.cached.servers;
    const servers = [...this.members(now), ...this.unmanaged()];
    this.cached = { key, servers };
    return servers;
  }

  private members(now: number): InventoryServer[] {
    const view = this.cluster.view;
    const facts = this.cluster.facts(now);
    const records = new Map(
      [...view.servers.values()]
        .filter((entry) => entry.value.member)
        .map((entry) => [serverKeyToken(entry.value.name), entry]),
    );
    const names = new Set(view.members.keys());
    for (const entry of records.values()) {
      if (![...names].some((name) => serverKeyToken(name) === serverKeyToken(entry.value.name)))
        names.add(entry.value.name);
    }
    const topology = memberTopology(
      [...names].map((name) => ({ name, status: view.members.get(name)?.value })),
    );
    const wallNow = Date.now();
    return [...names].sort().map((name) => {
      const member = this.cluster.member(name, now);
      const status = member.status;
      const entry = records.get(serverKeyToken(name));
      const record = entry?.value;
      const place = topology.get(name) ?? UNKNOWN_TOPOLOGY;
      const running = isStatusFresh(member, facts) && status?.state === 'running';
      const master = running && status?.role === 'primary' && holdsLease(member, facts);
      const slave =
        running &&
        status?.role === 'replica' &&
        (place.masterId !== -1 || status.replicationState === 'streaming');
      const caughtUp =
        slave &&
        (status.xlog?.replayedLocation ?? status.replayLsn ?? 0) >= facts.leaderWalPosition;
      const connections = status?.connections;
      const serverFacts: ServerFacts = {
        name,
        member: true,
        parameters: { ...(record?.parameters ?? {}), ...memberEndpoint(status) },
        bits: {
          running,
          master,
          slave,
          relayMaster: slave && place.slaves.length > 0,
          maintenance: record?.maintenance === true,
          drain: record?.drain === true,
        },
        connections: connections
          ? {
              connections: connections.connections,
              totalConnections: connections.totalConnections,
              maxConnections: connections.maxConnections,
              activeOperations: connections.activeOperations,
            }
          : NO_CONNECTIONS,
        versionString: running ? postgresVersionString(status?.serverVersion) : '',
        uptime: running ? uptimeSeconds(status?.postmasterStartTime, wallNow) : 0,
        replicationLag: master || caughtUp ? 0 : -1,
        topology: place,
        services: this.existingServices(record?.services?.names ?? this.settings.services),
        monitors: [this.monitorName],
      };
      return { facts: serverFacts, record, revision: entry?.revision };
    });
  }

  private unmanaged(): InventoryServer[] {
    const entries = [...this.cluster.view.servers.entries()].filter(
      ([, entry]) => !entry.value.member,
    );
    entries.sort(([tokenA, a], [tokenB, b]) => {
      const timeA =
        Number(a.value.createdAt?.seconds ?? 0n) * 1e9 + (a.value.createdAt?.nanos ?? 0);
      const timeB =
        Number(b.value.createdAt?.seconds ?? 0n) * 1e9 + (b.value.createdAt?.nanos ?? 0);
      return timeA - timeB || (tokenA < tokenB ? -1 : 1);
    });
    const wallNow = Date.now();
    return entries.map(([token, entry]) => {
      const record = entry.value;
      const seen = this.monitor.observation(token);
      const manual = new Set(record.status);
      const running = seen.reachable || manual.has('running');
      const master = (seen.reachable && !seen.inRecovery) || manual.has('master');
      const serverFacts: ServerFacts = {
        name: record.name,
        member: false,
        parameters: record.parameters ?? {},
        bits: {
          running,
          master,
          slave: (seen.reachable && seen.inRecovery) || manual.has('slave'),
          synced: manual.has('synced'),
          stale: manual.has('stale'),
          binlogRelay: manual.has('binlog_relay'),
          authError: seen.authError,
          maintenance: record.maintenance,
          drain: record.drain,
        },
        connections: connectionsOf(seen),
        versionString: postgresVersionString(seen.versionNum),
        uptime: uptimeSeconds(seen.startTime, wallNow),
        replicationLag: seen.reachable && !seen.inRecovery ? 0 : -1,
        topology: { ...UNKNOWN_TOPOLOGY, replicationDepth: master && running ? 0 : -1 },
        services: this.existingServices(record.services?.names ?? []),
        monitors: (record.monitors?.names ?? []).filter((name) => name === this.monitorName),
      };
      return { facts: serverFacts, record, revision: entry.revision };
    });
  }

  private existingServices(names: readonly string[]): string[] {
    return names.filter((name) => this.settings.services.includes(name));
  }
}
