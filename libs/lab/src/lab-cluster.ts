import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  ensureUnprivilegedUser,
  LOCAL_CLUSTER_SUPERUSER,
  NatsClusterServer,
  postgresqlSection,
  ServiceProcess,
  waitForSqlConnections,
} from '../../harness/src/index.ts';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { clusterBucketName } from '../../dcs/src/index.ts';
import { eventStreamName } from '../../events/src/index.ts';
import { leastRecentlyDialed, MAX_PINGS_OUT, PING_INTERVAL_MS } from '../../nats/src/index.ts';
import {
  LAB_PORTS,
  LAB_PREFIX_LENGTH,
  LAB_SUBNET_PREFIX,
  MEMBER_HOSTS,
  NATS_HOSTS,
  type LabHost,
} from './lab-layout.ts';
import { LabNetwork } from './lab-network.ts';

export type NatroniProcess = 'agent' | 'election' | 'gateway';

export interface LabMember {
  readonly name: string;
  readonly host: LabHost;
  readonly namespace: string;
  readonly configFile: string;
  readonly dataDir: string;
  readonly processes: Record<NatroniProcess, ServiceProcess>;
}

export interface LabClusterOptions {
  repoDir: string;
  /** Holds the NATS stores, the member configurations, the data directories and the logs. */
  baseDir: string;
  /** The pid that owns the lab's namespaces. */
  networkOwner: number;
  scope: string;
  dcs: Readonly<Record<string, unknown>>;
}

export const LAB_NAMESPACE = 'natroni';
export const LAB_RESTAPI_CREDENTIALS = { username: 'admin', password: 'admin' };
const LAB_SUBNET = `${LAB_SUBNET_PREFIX}.0/${LAB_PREFIX_LENGTH}`;

const NATS_URLS = NATS_HOSTS.map((host) => `nats://${host.address}:${LAB_PORTS.nats}`);

function socketDirOf(dataDir: string): string {
  return join(dataDir, '..', 'socket');
}

function memberConfig(
  options: LabClusterOptions,
  member: LabHost,
  dataDir: string,
  osUser: string,
) {
  return {
    scope: options.scope,
    name: member.name,
    nats: { servers: NATS_URLS, kv_replicas: NATS_HOSTS.length },
    restapi: {
      listen: `${member.address}:${LAB_PORTS.restapi}`,
      authentication: LAB_RESTAPI_CREDENTIALS,
    },
    postgresql: {
      ...postgresqlSection(`${member.address}:${LAB_PORTS.postgres}`, dataDir, LAB_SUBNET),
      // Every host has its own network but the machine's one /tmp, and a clone copies the data
      // directory with whatever lock files it holds: each member's socket goes in a directory of its own.
      unix_socket_directory: socketDirOf(dataDir),
      os_user: osUser,
    },
    bootstrap: { dcs: options.dcs, initdb: [{ encoding: 'UTF8' }, 'data-checksums'] },
    tags: {},
  };
}

/**
 * natroni across the lab's hosts: a three-server NATS cluster (the KV bucket and the event stream with
 * three replicas), and on each member host its node-agent, election, PostgreSQL and a gateway serving
 * that one member. The processes run where the lab's client is, so it reaches them by their addresses.
 */
export class LabCluster {
  readonly nats: NatsClusterServer[];
  readonly members: LabMember[] = [];

  constructor(readonly options: LabClusterOptions) {
    const routes = NATS_HOSTS.map(
      (host) => `nats-route://${host.address}:${LAB_PORTS.natsCluster}`,
    );
    this.nats = NATS_HOSTS.map(
      (host) =>
        new NatsClusterServer({
          name: host.name,
          clusterName: 'lab',
          host: host.address,
          port: LAB_PORTS.nats,
          clusterPort: LAB_PORTS.natsCluster,
          routes,
          workDir: join(options.baseDir, host.name),
          netns: LabNetwork.namespaceOf(options.networkOwner, host.name),
        }),
    );
  }

  get natsUrls(): string[] {
    return NATS_URLS;
  }

  get bucket(): string {
    return clusterBucketName(LAB_NAMESPACE, this.options.scope);
  }

  logFile(label: string): string {
    return join(this.options.baseDir, 'logs', `${label}.log`);
  }

  async start(): Promise<void> {
    await mkdir(join(this.options.baseDir, 'logs'), { recursive: true });
    await chmod(this.options.baseDir, 0o755);
    await Promise.all(this.nats.map((server) => server.start()));
    await this.waitForJetStream();
    for (const host of MEMBER_HOSTS) {
      const dataDir = join(this.options.baseDir, host.name, 'data');
      const configFile = join(this.options.baseDir, `${host.name}.yml`);
      const osUser = await ensureUnprivilegedUser();
      await writeFile(
        configFile,
        stringify(memberConfig(this.options, host, dataDir, osUser.name)),
      );
      await mkdir(socketDirOf(dataDir), { recursive: true });
      await chown(socketDirOf(dataDir), osUser.uid, osUser.gid);
      const member: LabMember = {
        name: host.name,
        host,
        namespace: LabNetwork.namespaceOf(this.options.networkOwner, host.name),
        configFile,
        dataDir,
        processes: {} as LabMember['processes'],
      };
      this.members.push(member);
      await this.startService(member, 'agent');
      await this.startService(member, 'election');
    }
    await Promise.all(
      this.members.map((member) =>
        waitForSqlConnections(
          { host: member.host.address, port: LAB_PORTS.postgres, ...LOCAL_CLUSTER_SUPERUSER },
          120_000,
          `${member.name}'s PostgreSQL to accept connections (logs in ${join(this.options.baseDir, 'logs')})`,
        ),
      ),
    );
    for (const member of this.members) await this.startService(member, 'gateway');
  }

  /** Waits until JetStream has a meta leader: before that, creating the bucket fails. */
  private async waitForJetStream(): Promise<void> {
    const nc = await this.connectNats();
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
          return;
        } catch (error) {
          if (Date.now() > deadline) {
            throw new Error(
              `the NATS cluster has no JetStream meta leader after 60 s: ${(error as Error).message}`,
              { cause: error },
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      await nc.close();
    }
  }

  /**
   * Starts a service and waits until it is healthy, starting it again (three times at most) when it
   * exits first, as its supervisor would: a service gives up when NATS does not answer within its
   * bound, which a replicated stream's creation can exceed on a loaded machine.
   */
  private async startService(member: LabMember, process: NatroniProcess): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      member.processes[process] = this.launch(member, process);
      try {
        await member.processes[process].healthWith(200, 60_000);
        return;
      } catch (error) {
        member.processes[process].kill();
        if (attempt === 3) throw error;
      }
    }
  }

  connectNats(): Promise<NatsConnection> {
    return connect({
      servers: NATS_URLS,
      name: 'natroni-lab',
      timeout: 3_000,
      maxReconnectAttempts: -1,
      // Like the services: leave a server that stops answering (an isolated one) within seconds.
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      reconnectToServer: leastRecentlyDialed,
    });
  }

  launch(member: LabMember, process: NatroniProcess): ServiceProcess {
    const common = {
      repoDir: this.options.repoDir,
      netns: member.namespace,
      host: member.host.address,
      logFile: this.logFile(`${member.name}-${process}`),
    };
    if (process === 'gateway') {
      return ServiceProcess.start({
        ...common,
        app: 'api-gateway',
        httpPort: LAB_PORTS.gateway,
        env: {
          NATRONI_SCOPE: this.options.scope,
          NATRONI_NATS_SERVERS: NATS_URLS.join(','),
          NATRONI_HTTP_HOST: member.host.address,
          NATRONI_GATEWAY_MEMBERS: `${member.name}=${member.host.address}:${LAB_PORTS.restapi}`,
          NATRONI_RESTAPI_USERNAME: LAB_RESTAPI_CREDENTIALS.username,
          NATRONI_RESTAPI_PASSWORD: LAB_RESTAPI_CREDENTIALS.password,
        },
      });
    }
    return ServiceProcess.start({
      ...common,
      app: process === 'agent' ? 'node-agent' : 'election',
      httpPort: process === 'agent' ? LAB_PORTS.agent : LAB_PORTS.election,
      env: { NATRONI_CONFIG: member.configFile, NATRONI_HTTP_HOST: member.host.address },
    });
  }

  member(name: string): LabMember {
    const found = this.members.find((member) => member.name === name);
    if (!found) throw new Error(`the lab has no member ${name}`);
    return found;
  }

  /** The NATS server (by host name) that leads the KV bucket's stream, if one does. */
  async streamLeader(nc: NatsConnection): Promise<string | undefined> {
    const jsm = await jetstreamManager(nc, { timeout: 3_000 });
    const info = await jsm.streams.info(`KV_${this.bucket}`);
    return info.cluster?.leader;
  }

  /** The member `GET /cluster` on this member's Patroni API lists as `sync_standby` (the `sync` key). */
  async syncStandby(member: LabMember): Promise<LabMember | undefined> {
    const members = await fetch(`http://${member.host.address}:${LAB_PORTS.restapi}/cluster`, {
      signal: AbortSignal.timeout(2_000),
    })
      .then(async (response) => ((await response.json()) as { members?: ClusterMember[] }).members)
      .catch(() => undefined);
    const name = members?.find((entry) => entry.role === 'sync_standby')?.name;
    return this.members.find((candidate) => candidate.name === name);
  }

  /**
   * Whether the KV bucket's stream and the event stream each have a leader and every replica is current.
   * A NATS server that comes back from isolation has campaigned alone and carries a higher Raft term:
   * it makes the stream's leader step down, and the stream has no leader, so no KV write goes through,
   * until a new election ends (up to about 14 s seen with nats-server 2.9). A fault started then would
   * meet a DCS that is down as well, so the cluster is not healthy until its streams have settled.
   */
  async streamsSettled(nc: NatsConnection): Promise<boolean> {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    for (const stream of [
      `KV_${this.bucket}`,
      eventStreamName(LAB_NAMESPACE, this.options.scope),
    ]) {
      const cluster = (await jsm.streams.info(stream)).cluster;
      if (!cluster?.leader) return false;
      const replicas = cluster.replicas ?? [];
      if (replicas.length !== NATS_URLS.length - 1) return false;
      if (!replicas.every((replica) => replica.current && !replica.offline)) return false;
    }
    return true;
  }

  /** Elections first (the leader stops its PostgreSQL through its agent), then agents, gateways, NATS. */
  async stop(): Promise<void> {
    const stopAll = (services: (ServiceProcess | undefined)[]) =>
      Promise.allSettled(
        services
          .filter((service): service is ServiceProcess => service !== undefined)
          .map((service) => service.stop('SIGTERM', 15_000).catch(() => service.kill())),
      );
    await stopAll(this.members.map((member) => member.processes.election));
    await stopAll(this.members.map((member) => member.processes.agent));
    await stopAll(this.members.map((member) => member.processes.gateway));
    await Promise.allSettled(this.nats.map((server) => server.stop()));
  }
}

interface ClusterMember {
  readonly name: string;
  readonly role: string;
}
