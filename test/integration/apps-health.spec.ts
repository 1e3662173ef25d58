import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { registerChild } from '../../libs/harness/src/index.ts';
import { freePort, NatsServerProcess, waitUntil } from '../../libs/harness/src/index.ts';

const REPO = resolve(__dirname, '../..');
const APPS = ['node-agent', 'election', 'api-gateway', 'metrics'] as const;
type App = (typeof APPS)[number];

interface HealthResponse {
  status: number;
  body: { info?: Record<string, { status: string }>; error?: Record<string, { status: string }> };
}

/** One built service started with `node`, its output kept to explain a failure. */
class ServiceProcess {
  private output = '';

  private constructor(
    readonly app: App,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(app: App, natsUrl: string): Promise<ServiceProcess> {
    const main = resolve(REPO, 'dist/apps', app, 'src/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const port = await freePort();
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('NATRONI_')),
    );
    const child = spawn(process.execPath, [main], {
      cwd: REPO,
      env: {
        ...env,
        NATRONI_SCOPE: 'apps-health',
        NATRONI_NAME: 'pg1',
        NATRONI_NATS_SERVERS: natsUrl,
        NATRONI_HTTP_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    registerChild(child);
    return new ServiceProcess(app, port, child);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async health(): Promise<HealthResponse> {
    if (this.exited) throw new Error(`${this.app} exited: ${this.output}`);
    const response = await fetch(`http://127.0.0.1:${this.port}/health`, {
      signal: AbortSignal.timeout(3_000),
    });
    return { status: response.status, body: (await response.json()) as HealthResponse['body'] };
  }

  /** Polls GET /health until it answers with `status`. */
  healthWith(status: number, timeoutMs: number): Promise<HealthResponse> {
    return waitUntil(
      async () => {
        const health = await this.health();
        return health.status === status ? health : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `${this.app} GET /health to answer ${status}` },
    );
  }

  /** Resolves with the exit code, or fails after `timeoutMs`. */
  exitCode(timeoutMs: number): Promise<number | null> {
    if (this.exited) return Promise.resolve(this.child.exitCode);
    return new Promise((resolveExit, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.app} did not exit within ${timeoutMs} ms: ${this.output}`));
      }, timeoutMs);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        resolveExit(code);
      });
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

describe('the four services, built, against a real nats-server', () => {
  let nats: NatsServerProcess;
  const services = new Map<App, ServiceProcess>();
  const service = (app: App): ServiceProcess => {
    const found = services.get(app);
    if (!found) throw new Error(`${app} was not started`);
    return found;
  };

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    for (const app of APPS) services.set(app, await ServiceProcess.start(app, nats.url));
  });

  afterAll(async () => {
    for (const started of services.values()) started.kill();
    await nats?.dispose();
  });

  it.each(APPS)('%s boots and reports NATS up', async (app) => {
    const health = await service(app).healthWith(200, 20_000);
    expect(health.body.info?.nats?.status).toBe('up');
  });

  it('all report NATS down with 503 once nats-server stops', async () => {
    await nats.stop();
    for (const app of APPS) {
      const health = await service(app).healthWith(503, 10_000);
      expect(health.body.error?.nats?.status).toBe('down');
    }
  });

  it('all report NATS up again once nats-server is back', async () => {
    await nats.restart();
    for (const app of APPS) {
      const health = await service(app).healthWith(200, 15_000);
      expect(health.body.info?.nats?.status).toBe('up');
    }
  });

  it.each(APPS)('%s exits with code 0 on SIGTERM', async (app) => {
    service(app).child.kill('SIGTERM');
    expect(await service(app).exitCode(10_000)).toBe(0);
  });
});
