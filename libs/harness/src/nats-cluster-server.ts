import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { registerChild, waitForExit } from './child-registry.ts';
import { natsServerBinary } from './nats-server-process.ts';
import { waitUntil } from './wait-until.ts';

export interface NatsClusterServerOptions {
  /** `server_name`: JetStream names its stream and meta leaders by it. */
  name: string;
  /** The cluster's `name`, the same on every server. */
  clusterName: string;
  /** Address the server listens on, for clients and for routes. */
  host: string;
  port: number;
  clusterPort: number;
  /** Every server's route URL (`nats-route://host:port`), its own included, as nats-server allows. */
  routes: readonly string[];
  /** Holds the configuration file, the JetStream store and the log. */
  workDir: string;
  /** Run it in this network namespace (`ip netns exec`). */
  netns?: string;
}

/** The configuration file of one server of a clustered JetStream. */
export function natsClusterConfig(options: NatsClusterServerOptions): string {
  return [
    `server_name: ${JSON.stringify(options.name)}`,
    `listen: ${JSON.stringify(`${options.host}:${options.port}`)}`,
    `jetstream { store_dir: ${JSON.stringify(join(options.workDir, 'jetstream'))} }`,
    'cluster {',
    `  name: ${JSON.stringify(options.clusterName)}`,
    `  listen: ${JSON.stringify(`${options.host}:${options.clusterPort}`)}`,
    `  routes: [${options.routes.map((route) => JSON.stringify(route)).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * One nats-server of a JetStream cluster. A cluster needs three for a replicated stream to keep a
 * quorum when one is lost; each keeps its store across `kill` and `start`, as a restarted host does.
 */
export class NatsClusterServer {
  private child: ChildProcess | undefined;

  constructor(readonly options: NatsClusterServerOptions) {}

  get url(): string {
    return `nats://${this.options.host}:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts the server; resolves once it accepts client connections (JetStream may still be electing). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`nats-server ${this.options.name} is already running`);
    const { workDir, netns } = this.options;
    await mkdir(workDir, { recursive: true });
    const configFile = join(workDir, 'nats-server.conf');
    await writeFile(configFile, natsClusterConfig(this.options));
    const server = [natsServerBinary(), '-c', configFile, '-l', join(workDir, 'nats-server.log')];
    const [command, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...server] : server;
    const child = spawn(command, args, { stdio: 'ignore' });
    registerChild(child);
    this.child = child;
    await waitUntil(
      async () => {
        if (!this.running) throw new Error(`exited; see ${join(workDir, 'nats-server.log')}`);
        return (await tcpAccepts(this.options.host, this.options.port)) ? true : undefined;
      },
      { timeoutMs: 15_000, what: `nats-server ${this.options.name} to accept connections` },
    );
  }

  /** SIGKILL, as a crashed host would; the store stays for the next `start`. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    await waitForExit(child, 5_000);
  }
}
