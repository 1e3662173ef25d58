import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  freePort,
  NatsServerProcess,
  waitUntil,
  type ServiceApp,
} from '../../libs/harness/src/index.ts';
import { DenoProcess, scratchDenoDir } from '../support/deno.ts';

const APPS: readonly ServiceApp[] = ['node-agent', 'election', 'api-gateway', 'metrics'];

/**
 * The services' bundles (`npm run build`) under Deno, with the documented command
 * `deno run -A dist/bundles/<service>/main.cjs`: the same entry point Node runs, one file per service
 * with every package inside, so Deno needs no import map, no flag and no download.
 */
describe('the four services, built, under Deno against a real nats-server', () => {
  let nats: NatsServerProcess;
  let workDir: string | undefined;
  let denoDir: Awaited<ReturnType<typeof scratchDenoDir>> | undefined;
  const services = new Map<ServiceApp, { process: DenoProcess; port: number }>();

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    denoDir = await scratchDenoDir();
    workDir = await mkdtemp(join(tmpdir(), 'natroni-test-deno-apps-'));
    const configFile = join(workDir, 'pg1.yml');
    // nofailover: this member never bootstraps, so the suite tests the services, not PostgreSQL.
    await writeFile(
      configFile,
      stringify({
        scope: 'deno-health',
        name: 'pg1',
        nats: { servers: [nats.url] },
        restapi: { listen: `127.0.0.1:${await freePort()}` },
        postgresql: { listen: `127.0.0.1:${await freePort()}`, data_dir: join(workDir, 'data') },
        tags: { nofailover: true },
      }),
    );
    for (const app of APPS) {
      const port = await freePort();
      const process = DenoProcess.start(['-A', `dist/bundles/${app}/main.cjs`], {
        DENO_DIR: denoDir.path,
        NATRONI_CONFIG: configFile,
        NATRONI_HTTP_PORT: String(port),
      });
      services.set(app, { process, port });
    }
  });

  afterAll(async () => {
    await Promise.all([...services.values()].map(({ process }) => process.stop()));
    await nats?.dispose();
    await denoDir?.dispose();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it.each(APPS)('%s boots under Deno and reports NATS up on /health', async (app) => {
    const started = services.get(app);
    if (!started) throw new Error(`${app} was not started`);
    const body = await waitUntil(
      async () => {
        if (started.process.exited) throw new Error('exited');
        const response = await fetch(`http://127.0.0.1:${started.port}/health`, {
          signal: AbortSignal.timeout(3_000),
        });
        return response.status === 200
          ? ((await response.json()) as { info?: { nats?: { status?: string } } })
          : undefined;
      },
      {
        timeoutMs: 40_000,
        intervalMs: 200,
        what: `${app} under Deno to answer 200 on /health: ${started.process.recentOutput.slice(-3000)}`,
      },
    );
    expect(body.info?.nats?.status).toBe('up');
  });

  it.each(APPS)('%s under Deno exits with code 0 on SIGTERM', async (app) => {
    const started = services.get(app);
    expect(await started?.process.stop(10_000)).toBe(0);
  });
});
