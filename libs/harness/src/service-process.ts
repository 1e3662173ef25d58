import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { registerChild } from './child-registry.ts';
import { waitUntil } from './wait-until.ts';

/** The services, each bundled to dist/bundles/<service>/main.cjs by `npm run build`. */
export type ServiceApp = 'node-agent' | 'election' | 'api-gateway' | 'metrics' | 'router-updater';

export interface ServiceProcessOptions {
  app: ServiceApp;
  /** The repository root, whose dist/ holds the built services. */
  repoDir: string;
  /** Port of the service's own HTTP listener (GET /health). */
  httpPort: number;
  /** NATRONI_* variables; the caller's own NATRONI_* variables are not inherited. */
  env: Readonly<Record<string, string>>;
  /** Append the service's output to this file; kept in memory (last 8 kB) otherwise. */
  logFile?: string;
  /** Arguments for `node` before the service's entry point, e.g. V8 heap settings. */
  nodeArguments?: readonly string[];
  /** Run it in this network namespace (`ip netns exec`), as on a host of its own. */
  netns?: string;
  /** Address its HTTP listener is reached on; 127.0.0.1 by default. */
  host?: string;
}

/** Several services in one process (dist/bundles/composed), each on its own HTTP port. */
export interface ComposedProcessOptions extends Omit<ServiceProcessOptions, 'app' | 'httpPort'> {
  services: readonly { readonly app: ServiceApp; readonly httpPort: number }[];
}

export interface HealthAnswer {
  status: number;
  body: { info?: Record<string, { status: string }>; error?: Record<string, { status: string }> };
}

/** One built natroni process run with `node`, as an operator runs it: one service, or several composed. */
export class ServiceProcess {
  private output = '';

  private constructor(
    /** The service, or the composed services as `api-gateway+metrics`. */
    readonly app: string,
    /** Every service's HTTP port, in the order the services were given. */
    readonly httpPorts: readonly number[],
    readonly child: ChildProcess,
    private readonly logFile: string | undefined,
    /** Address its HTTP listeners are reached on. */
    readonly host: string,
  ) {}

  static start(options: ServiceProcessOptions): ServiceProcess {
    return ServiceProcess.spawn(options.app, [options.httpPort], options, {
      NATRONI_HTTP_PORT: String(options.httpPort),
    });
  }

  static startComposed(options: ComposedProcessOptions): ServiceProcess {
    const services = options.services;
    return ServiceProcess.spawn(
      services.map(({ app }) => app).join('+'),
      services.map(({ httpPort }) => httpPort),
      { ...options, app: 'composed' },
      { NATRONI_SERVICES: services.map(({ app, httpPort }) => `${app}:${httpPort}`).join(',') },
    );
  }

  private static spawn(
    label: string,
    httpPorts: readonly number[],
    options: Omit<ServiceProcessOptions, 'app' | 'httpPort'> & { app: ServiceApp | 'composed' },
    portEnvironment: Readonly<Record<string, string>>,
  ): ServiceProcess {
    const main = resolve(options.repoDir, 'dist/bundles', options.app, 'main.cjs');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('NATRONI_')),
    );
    const node = [...(options.nodeArguments ?? []), main];
    // `ip netns exec` execs the command in place, so the child's pid is the service's own.
    const [command, args] = options.netns
      ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...node]]
      : [process.execPath, node];
    const child = spawn(command, args, {
      cwd: options.repoDir,
      env: { ...inherited, ...options.env, ...portEnvironment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    registerChild(child);
    const service = new ServiceProcess(
      label,
      httpPorts,
      child,
      options.logFile,
      options.host ?? '127.0.0.1',
    );
    if (options.logFile) {
      const log = createWriteStream(options.logFile, { flags: 'a' });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    } else {
      const keep = (chunk: Buffer): void => {
        service.output = (service.output + chunk.toString()).slice(-8000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
    }
    return service;
  }

  /** The first service's HTTP port: the only one, unless the process is composed. */
  get httpPort(): number {
    return this.httpPorts[0];
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** What the service printed, or where to find it, for failure messages. */
  get recentOutput(): string {
    return this.logFile ? `see ${this.logFile}` : this.output;
  }

  /** GET /health of the service listening on `port` (the first service's by default). */
  async health(port: number = this.httpPort): Promise<HealthAnswer> {
    if (this.exited) throw new Error(`${this.app} exited: ${this.recentOutput}`);
    const response = await fetch(`http://${this.host}:${port}/health`, {
      signal: AbortSignal.timeout(3_000),
    });
    return { status: response.status, body: (await response.json()) as HealthAnswer['body'] };
  }

  /** Polls GET /health of every service of the process until each answers with `status`; the first's answer. */
  healthWith(status: number, timeoutMs: number): Promise<HealthAnswer> {
    return waitUntil(
      async () => {
        const answers = await Promise.all(this.httpPorts.map((port) => this.health(port)));
        return answers.every((answer) => answer.status === status) ? answers[0] : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `${this.app} GET /health to answer ${status}` },
    );
  }

  /** Sends `signal` and resolves with the exit code, or fails after `timeoutMs`. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<number | null> {
    if (this.exited) return Promise.resolve(this.child.exitCode);
    return new Promise((resolveExit, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.app} did not exit within ${timeoutMs} ms: ${this.recentOutput}`));
      }, timeoutMs);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        resolveExit(code);
      });
      this.child.kill(signal);
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
