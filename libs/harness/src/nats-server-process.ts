import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerChild, waitForExit } from './child-registry.ts';
import { freePort } from './free-port.ts';
import { waitUntil } from './wait-until.ts';

/** Debian installs nats-server in /usr/sbin, which is not on every PATH. */
export function natsServerBinary(): string {
  const fromEnv = process.env.NATRONI_NATS_SERVER_BIN;
  if (fromEnv) return fromEnv;
  for (const candidate of [
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    '/usr/local/bin/nats-server',
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'nats-server not found: run scripts/prepare-machine.sh or set NATRONI_NATS_SERVER_BIN',
  );
}

export interface NatsServerOptions {
  /** Keep the JetStream store here (so that a restart finds it); a temporary directory by default. */
  storeDir?: string;
  port?: number;
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A real nats-server with JetStream on a free loopback port, for tests, benchmarks and the local cluster. */
export class NatsServerProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly workDir: string,
    private readonly ownsWorkDir: boolean,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get storeDir(): string {
    return join(this.workDir, 'jetstream');
  }

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
    const workDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'natroni-test-nats-')));
    const server = new NatsServerProcess(
      options.port ?? (await freePort()),
      workDir,
      !options.storeDir,
    );
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.workDir];
    const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    registerChild(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    this.child = child;
    await waitUntil(
      async () => {
        if (!this.running) throw new Error(`nats-server exited: ${stderr.trim()}`);
        return (await tcpAccepts(this.port)) ? true : undefined;
      },
      { timeoutMs: 10_000, what: `nats-server to accept connections on port ${this.port}` },
    );
  }

  /** Stops the server the way an operator would (SIGTERM), keeping its store. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    await waitForExit(child, 5_000);
    this.child = undefined;
  }

  /** Starts the server again on the same port with the same store (after `stop`). */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.launch();
  }

  /** Stops the server and removes its temporary directory. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }
}
