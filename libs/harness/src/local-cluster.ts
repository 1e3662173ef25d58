import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freeListenPort } from './free-port.ts';
import { NatsServerProcess } from './nats-server-process.ts';
import { waitForSqlConnections } from './postgres-client.ts';
import { ServiceProcess } from './service-process.ts';

export interface MemberPorts {
  postgres: number;
  /** The gateway's Patroni-compatible listener bound to this member. */
  restapi: number;
  /** The member's gateway's own listener (its service /health, and the cluster-wide API as well). */
  gateway: number;
  agent: number;
  election: number;
}

export interface ClusterPorts {
  nats: number;
  metrics: number;
  members: MemberPorts[];
}

/**
 * The ports `npm start` uses: Patroni's habits (5432.., 8008..) so that existing tooling fits. On one
 * machine each member's gateway keeps a port of its own; the first member's gateway listens on 8080,
 * natronictl's default.
 */
export function defaultClusterPorts(memberCount: number): ClusterPorts {
  return {
    nats: 4222,
    metrics: 9547,
    members: Array.from({ length: memberCount }, (_, index) => ({
      postgres: 5432 + index,
      restapi: 8008 + index,
      gateway: 8080 + index,
      agent: 8110 + index,
      election: 8210 + index,
    })),
  };
}

export async function freeClusterPorts(memberCount: number): Promise<ClusterPorts> {
  const members: MemberPorts[] = [];
  for (let index = 0; index < memberCount; index += 1) {
    members.push({
      postgres: await freeListenPort(),
      restapi: await freeListenPort(),
      gateway: await freeListenPort(),
      agent: await freeListenPort(),
      election: await freeListenPort(),
    });
  }
  return {
    nats: await freeListenPort(),
    metrics: await freeListenPort(),
    members,
  };
}

export interface LocalClusterOptions {
  /** The repository root, whose dist/ holds the built services. */
  repoDir: string;
  /** Holds the JetStream store, the member configuration files, the data directories and the logs. */
  baseDir: string;
  scope: string;
  memberCount: number;
  ports: ClusterPorts;
  /** The `bootstrap.dcs` section: ttl, loop_wait, retry_timeout, ... */
  dcs: Readonly<Record<string, unknown>>;
  restapiCredentials: { username: string; password: string };
  /** Append each service's output to <baseDir>/logs/<service>.log instead of keeping it in memory. */
  logToFiles: boolean;
  /** Tags of some members, by name (e.g. `{ pg3: { nofailover: true } }`). */
  tags?: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
  /**
   * Ports on which some members' agent and election reach NATS instead of `ports.nats`, by member name:
   * the partition tests put a relay there that they can cut.
   */
  memberNatsPorts?: Readonly<Record<string, number>>;
  /**
   * How a member's services are spread over processes. `per-service` (the default): an agent, an
   * election and a gateway process per member, so that each can be killed alone and the agent and the
   * election fence each other. `per-node`: the three in one process, as a small host runs them (about a
   * third of the memory); a frozen process then freezes all three.
   */
  layout?: ProcessLayout;
  /**
   * Keys added to every member's `postgresql` and `bootstrap` sections (replica creation methods, a
   * custom bootstrap method, ...): any member may bootstrap the cluster or clone it.
   */
  memberSections?: {
    readonly postgresql?: Readonly<Record<string, unknown>>;
    readonly bootstrap?: Readonly<Record<string, unknown>>;
  };
  /** `node` arguments for every natroni process; LEAN_HEAP_ARGUMENTS unless given. */
  nodeArguments?: readonly string[];
}

/**
 * V8's young generation at 1 MB per semi-space instead of its default of up to 16 MB: a service's
 * short-lived garbage is small (NATS messages, HTTP requests), so it costs a few more quick scavenges and
 * saves about 25 MB of RSS per process (docs/runtime-and-memory.md).
 */
export const LEAN_HEAP_ARGUMENTS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * At most two glibc malloc arenas: Node's helper threads otherwise each get an arena of their own, whose
 * freed pages stay resident; about 7 MB of RSS less per process (docs/runtime-and-memory.md).
 */
export const LEAN_MALLOC_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export type ProcessLayout = 'per-service' | 'per-node';

export interface LocalMember {
  readonly name: string;
  readonly ports: MemberPorts;
  readonly configFile: string;
  readonly dataDir: string;
  agent: ServiceProcess;
  election: ServiceProcess;
  /** The member's api-gateway, bound to it as Patroni's REST API is bound to its node. */
  gateway: ServiceProcess;
}

/** Every member's database superuser. */
export const LOCAL_CLUSTER_SUPERUSER = { username: 'postgres', password: 'postgres' };

function logFile(options: LocalClusterOptions, label: string): string | undefined {
  return options.logToFiles ? join(options.baseDir, 'logs', `${label}.log`) : undefined;
}

function launch(options: LocalClusterOptions, app: 'node-agent' | 'election', member: LocalMember) {
  return ServiceProcess.start({
    app,
    repoDir: options.repoDir,
    nodeArguments: options.nodeArguments ?? LEAN_HEAP_ARGUMENTS,
    httpPort: app === 'node-agent' ? member.ports.agent : member.ports.election,
    env: { ...LEAN_MALLOC_ENVIRONMENT, NATRONI_CONFIG: member.configFile },
    logFile: logFile(options, `${member.name}-${app === 'node-agent' ? 'agent' : 'election'}`),
  });
}

/**
 * A member's api-gateway: its Patroni listener and, since any node's gateway serves the whole cluster's
 * API, its own listener. The first member's gateway also runs the metrics service, composed in the same
 * process (one NestJS process fewer to load): metrics is cluster-wide and needs one instance only.
 */
function launchGateway(
  options: LocalClusterOptions,
  natsUrl: string,
  member: LocalMember,
  index: number,
) {
  const env = { ...LEAN_MALLOC_ENVIRONMENT, ...gatewayEnvironment(options, natsUrl, [member]) };
  const logLabel = `${member.name}-gateway`;
  if (index > 0)
    return ServiceProcess.start({
      app: 'api-gateway',
      repoDir: options.repoDir,
      nodeArguments: options.nodeArguments ?? LEAN_HEAP_ARGUMENTS,
      httpPort: member.ports.gateway,
      env,
      logFile: logFile(options, logLabel),
    });
  return ServiceProcess.startComposed({
    services: [
      { app: 'api-gateway', httpPort: member.ports.gateway },
      { app: 'metrics', httpPort: options.ports.metrics },
    ],
    repoDir: options.repoDir,
    nodeArguments: options.nodeArguments ?? LEAN_HEAP_ARGUMENTS,
    env,
    logFile: logFile(options, `${logLabel}-metrics`),
  });
}

/**
 * A member's node-agent, election and api-gateway composed in one process (the `per-node` layout); the
 * first member's also runs the cluster's metrics service.
 */
function launchNode(
  options: LocalClusterOptions,
  natsUrl: string,
  member: LocalMember,
  index: number,
): ServiceProcess {
  return ServiceProcess.startComposed({
    services: [
      { app: 'node-agent', httpPort: member.ports.agent },
      { app: 'election', httpPort: member.ports.election },
      { app: 'api-gateway', httpPort: member.ports.gateway },
      ...(index === 0 ? [{ app: 'metrics' as const, httpPort: options.ports.metrics }] : []),
    ],
    repoDir: options.repoDir,
    nodeArguments: options.nodeArguments ?? LEAN_HEAP_ARGUMENTS,
    env: {
      ...LEAN_MALLOC_ENVIRONMENT,
      ...gatewayEnvironment(options, natsUrl, [member]),
      NATRONI_CONFIG: member.configFile,
    },
    logFile: logFile(options, `${member.name}-node`),
  });
}

/**
 * A complete natroni cluster on one machine, as local processes: nats-server with JetStream, and for
 * each member a node-agent, an election and an api-gateway bound to it, as each Patroni node runs its
 * own REST API: losing one gateway takes out one member's health checks at most. `npm start` runs it;
 * the end-to-end suites start their clusters through the same code.
 */
export class LocalCluster {
  private constructor(
    readonly options: LocalClusterOptions,
    readonly nats: NatsServerProcess,
    readonly members: LocalMember[],
  ) {}

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    await mkdir(join(options.baseDir, 'logs'), { recursive: true });
    const nats = await NatsServerProcess.start({
      storeDir: join(options.baseDir, 'nats'),
      port: options.ports.nats,
    });
    const started: ServiceProcess[] = [];
    try {
      const members: LocalMember[] = [];
      for (const [index, ports] of options.ports.members.entries()) {
        const name = `pg${index + 1}`;
        const configFile = join(options.baseDir, `${name}.yml`);
        const dataDir = join(options.baseDir, name, 'data');
        await writeFile(configFile, stringify(memberConfigDocument(options, name, ports, dataDir)));
        const member = { name, ports, configFile, dataDir } as LocalMember;
        members.push(member);
        if (options.layout === 'per-node') {
          // One process per member, one member at a time, for the reason given below.
          const node = launchNode(options, nats.url, member, index);
          started.push(node);
          Object.assign(member, { agent: node, election: node, gateway: node });
          await node.healthWith(200, 30_000);
          continue;
        }
        // As if each member had a machine of its own, no two members' services load at once. The first
        // member's agent and election start together, since its bootstrap needs both; every later
        // service starts once the one before it answers. A service's load is about 0.4 s of CPU, and
        // on two cores one at a time leaves the first member's initdb a core of its own: in interleaved
        // trials, primary writable at 1.64 s against 2.30 s with each later member's two services
        // started together, both replicas streaming at 3.93 s against 3.96 s. Started all at once, the
        // first election races only once every service has loaded (about 1.9 s). Any member may still
        // win the race.
        member.agent = launch(options, 'node-agent', member);
        started.push(member.agent);
        if (index > 0) await member.agent.healthWith(200, 30_000);
        member.election = launch(options, 'election', member);
        started.push(member.election);
        await Promise.all(
          [member.agent, member.election].map((service) => service.healthWith(200, 30_000)),
        );
      }
      // The gateways (and metrics) come last, once every member's PostgreSQL accepts connections: none is
      // needed for the bootstrap, and their load (about 0.45 s of CPU each) would otherwise slow the
      // replicas' clones. In interleaved trials, both replicas streaming at 3.46 s against 3.82 s.
      await Promise.all(
        members.map((member) =>
          waitForSqlConnections(
            { host: '127.0.0.1', port: member.ports.postgres, ...LOCAL_CLUSTER_SUPERUSER },
            60_000,
            `${member.name}'s PostgreSQL to accept connections on port ${member.ports.postgres}` +
              (options.logToFiles ? ` (logs in ${join(options.baseDir, 'logs')})` : ''),
          ),
        ),
      );
      if (options.layout !== 'per-node') {
        for (const [index, member] of members.entries()) {
          member.gateway = launchGateway(options, nats.url, member, index);
          started.push(member.gateway);
        }
      }
      await Promise.all(members.map((member) => member.gateway.healthWith(200, 30_000)));
      return new LocalCluster(options, nats, members);
    } catch (error) {
      await Promise.allSettled(started.map((service) => service.stop('SIGTERM', 10_000)));
      await nats.stop();
      throw error;
    }
  }

  member(name: string): LocalMember {
    const found = this.members.find((member) => member.name === name);
    if (!found) throw new Error(`the local cluster has no member ${name}`);
    return found;
  }

  /**
   * Starts a member's agent, election or gateway again (after a kill), with the same configuration; in
   * the `per-node` layout, the member's one process.
   */
  async restart(
    member: LocalMember,
    service: 'agent' | 'election' | 'gateway',
  ): Promise<ServiceProcess> {
    const index = this.members.indexOf(member);
    if (this.options.layout === 'per-node') {
      const node = launchNode(this.options, this.nats.url, member, index);
      Object.assign(member, { agent: node, election: node, gateway: node });
      await node.healthWith(200, 30_000);
      return node;
    }
    const started =
      service === 'gateway'
        ? launchGateway(this.options, this.nats.url, member, index)
        : launch(this.options, service === 'agent' ? 'node-agent' : 'election', member);
    member[service] = started;
    await started.healthWith(200, 30_000);
    return started;
  }

  /** The postmaster's pid, from its postmaster.pid file; undefined when PostgreSQL is not running. */
  async postmasterPid(member: LocalMember): Promise<number | undefined> {
    try {
      const pid = Number(
        (await readFile(join(member.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
      );
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stops the elections first (they hand nothing over), then the agents (each stops its PostgreSQL; the
   * primary's frees the lease), then the gateways and NATS. A service that does not exit
   * within its bound is killed, so that a stop never leaves a process behind.
   */
  async stop(): Promise<void> {
    const stopAll = (services: ServiceProcess[]) =>
      Promise.allSettled(
        services.map((service) => service.stop('SIGTERM', 15_000).catch(() => service.kill())),
      );
    await stopAll(this.members.map((member) => member.election));
    await stopAll(this.members.map((member) => member.agent));
    await stopAll(this.members.map((member) => member.gateway));
    await this.nats.stop();
  }

  /** Where everything is, for a person. */
  describe(): string {
    const { ports, scope, baseDir } = this.options;
    const lines = [
      `natroni local cluster "${scope}" (files in ${baseDir})`,
      `  NATS with JetStream   ${this.nats.url}`,
      `  metrics               http://127.0.0.1:${ports.metrics}/metrics  (in ${this.members[0]?.name}'s gateway process)`,
    ];
    for (const member of this.members) {
      lines.push(
        `  ${member.name.padEnd(20)}  PostgreSQL 127.0.0.1:${member.ports.postgres}  ` +
          `Patroni API http://127.0.0.1:${member.ports.restapi}  ` +
          `gateway :${member.ports.gateway}  agent :${member.ports.agent}  election :${member.ports.election}`,
      );
    }
    lines.push('  every gateway serves the whole cluster: /cluster, /switchover, /v1/servers, ...');
    return lines.join('\n');
  }
}

/** What every cluster-wide service (gateway, metrics) is told: which cluster, where NATS is. */
export function clusterEnvironment(
  options: Pick<LocalClusterOptions, 'scope'>,
  natsUrl: string,
): Record<string, string> {
  return { NATRONI_SCOPE: options.scope, NATRONI_NATS_SERVERS: natsUrl };
}

/**
 * A gateway's environment: one Patroni-compatible listener per member it serves (one in the per-node
 * layout), the restapi user, and one process (no workers), as a node shares its cores with PostgreSQL.
 */
export function gatewayEnvironment(
  options: Pick<LocalClusterOptions, 'scope' | 'restapiCredentials'>,
  natsUrl: string,
  members: readonly { name: string; ports: Pick<MemberPorts, 'restapi'> }[],
): Record<string, string> {
  return {
    ...clusterEnvironment(options, natsUrl),
    NATRONI_GATEWAY_MEMBERS: members
      .map((member) => `${member.name}=127.0.0.1:${member.ports.restapi}`)
      .join(','),
    NATRONI_RESTAPI_USERNAME: options.restapiCredentials.username,
    NATRONI_RESTAPI_PASSWORD: options.restapiCredentials.password,
    NATRONI_GATEWAY_WORKERS: '1',
  };
}

/**
 * A member's `postgresql` section as the local cluster and the lab write it: the same superuser and
 * replication user everywhere, `wal_log_hints` for pg_rewind, and password logins from `clients` only.
 */
export function postgresqlSection(
  listen: string,
  dataDir: string,
  clients: string,
): Record<string, unknown> {
  return {
    listen,
    data_dir: dataDir,
    authentication: {
      superuser: LOCAL_CLUSTER_SUPERUSER,
      replication: { username: 'replicator', password: 'replicator' },
    },
    parameters: {
      max_connections: 100,
      wal_level: 'replica',
      hot_standby: 'on',
      wal_log_hints: 'on',
    },
    pg_hba: [
      `host all all ${clients} scram-sha-256`,
      `host replication replicator ${clients} scram-sha-256`,
    ],
  };
}

/** A member's YAML configuration file (NATRONI_CONFIG of its agent and its election). */
export function memberConfigDocument(
  options: LocalClusterOptions,
  name: string,
  ports: MemberPorts,
  dataDir: string,
): Record<string, unknown> {
  return {
    scope: options.scope,
    name,
    nats: {
      servers: [`nats://127.0.0.1:${options.memberNatsPorts?.[name] ?? options.ports.nats}`],
      kv_replicas: 1,
    },
    restapi: {
      listen: `127.0.0.1:${ports.restapi}`,
      authentication: options.restapiCredentials,
    },
    postgresql: {
      ...postgresqlSection(`127.0.0.1:${ports.postgres}`, dataDir, '127.0.0.1/32'),
      ...options.memberSections?.postgresql,
    },
    bootstrap: {
      dcs: options.dcs,
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
      ...options.memberSections?.bootstrap,
    },
    tags: options.tags?.[name] ?? {},
  };
}
