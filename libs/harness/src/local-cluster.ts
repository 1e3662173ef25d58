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
  agent: number;
  election: number;
}

export interface ClusterPorts {
  nats: number;
  gateway: number;
  metrics: number;
  members: MemberPorts[];
}

/** The ports `npm start` uses: Patroni's habits (5432.., 8008..) so that existing tooling fits. */
export function defaultClusterPorts(memberCount: number): ClusterPorts {
  return {
    nats: 4222,
    gateway: 8080,
    metrics: 9547,
    members: Array.from({ length: memberCount }, (_, index) => ({
      postgres: 5432 + index,
      restapi: 8008 + index,
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
      agent: await freeListenPort(),
      election: await freeListenPort(),
    });
  }
  return {
    nats: await freeListenPort(),
    gateway: await freeListenPort(),
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
}

export interface LocalMember {
  readonly name: string;
  readonly ports: MemberPorts;
  readonly configFile: string;
  readonly dataDir: string;
  agent: ServiceProcess;
  election: ServiceProcess;
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
    httpPort: app === 'node-agent' ? member.ports.agent : member.ports.election,
    env: { NATRONI_CONFIG: member.configFile },
    logFile: logFile(options, `${member.name}-${app === 'node-agent' ? 'agent' : 'election'}`),
  });
}

/**
 * A complete natroni cluster on one machine, as local processes: nats-server with JetStream, and for
 * each member a node-agent and an election, then the api-gateway and metrics, composed in one process as
 * DESIGN.md allows a small deployment to run them (one NestJS process fewer to load on a shared machine).
 * `npm start` runs it; the end-to-end suites start their clusters through the same code.
 */
export class LocalCluster {
  private constructor(
    readonly options: LocalClusterOptions,
    readonly nats: NatsServerProcess,
    readonly members: LocalMember[],
    /** The api-gateway (one process, no workers) and metrics. */
    readonly clusterServices: ServiceProcess,
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
      // The gateway and metrics come last, once every member's PostgreSQL accepts connections: neither
      // is needed for the bootstrap, and their load (about 0.45 s of CPU) would otherwise slow the
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
      const clusterServices = ServiceProcess.startComposed({
        services: [
          { app: 'api-gateway', httpPort: options.ports.gateway },
          { app: 'metrics', httpPort: options.ports.metrics },
        ],
        repoDir: options.repoDir,
        env: gatewayEnvironment(options, nats.url, members),
        logFile: logFile(options, 'gateway-metrics'),
      });
      started.push(clusterServices);
      await clusterServices.healthWith(200, 30_000);
      return new LocalCluster(options, nats, members, clusterServices);
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

  /** Starts a member's agent or election again (after a kill), with the same configuration. */
  async restart(member: LocalMember, service: 'agent' | 'election'): Promise<ServiceProcess> {
    const app = service === 'agent' ? 'node-agent' : 'election';
    const started = launch(this.options, app, member);
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
   * primary's frees the lease), then the cluster-wide services and NATS. A service that does not exit
   * within its bound is killed, so that a stop never leaves a process behind.
   */
  async stop(): Promise<void> {
    const stopAll = (services: ServiceProcess[]) =>
      Promise.allSettled(
        services.map((service) => service.stop('SIGTERM', 15_000).catch(() => service.kill())),
      );
    await stopAll(this.members.map((member) => member.election));
    await stopAll(this.members.map((member) => member.agent));
    await stopAll([this.clusterServices]);
    await this.nats.stop();
  }

  /** Where everything is, for a person. */
  describe(): string {
    const { ports, scope, baseDir } = this.options;
    const lines = [
      `natroni local cluster "${scope}" (files in ${baseDir})`,
      `  NATS with JetStream   ${this.nats.url}`,
      `  api-gateway           http://127.0.0.1:${ports.gateway}  (cluster-wide: /cluster, /v1/servers)`,
      `  metrics               http://127.0.0.1:${ports.metrics}/metrics`,
    ];
    for (const member of this.members) {
      lines.push(
        `  ${member.name.padEnd(20)}  PostgreSQL 127.0.0.1:${member.ports.postgres}  ` +
          `Patroni API http://127.0.0.1:${member.ports.restapi}  ` +
          `agent :${member.ports.agent}  election :${member.ports.election}`,
      );
    }
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

/** The gateway's environment: one Patroni-compatible listener per member, and the restapi user. */
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
      listen: `127.0.0.1:${ports.postgres}`,
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
        'host all all 127.0.0.1/32 scram-sha-256',
        'host replication replicator 127.0.0.1/32 scram-sha-256',
      ],
    },
    bootstrap: { dcs: options.dcs, initdb: [{ encoding: 'UTF8' }, 'data-checksums'] },
    tags: options.tags?.[name] ?? {},
  };
}
