import { execFileSync } from 'node:child_process';
import { mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  freePort,
  NatsServerProcess,
  ServiceProcess,
  type ServiceApp,
} from '../../libs/harness/src/index.ts';

const REPO = resolve(__dirname, '../..');
const APPS: readonly ServiceApp[] = ['node-agent', 'election', 'api-gateway', 'metrics'];

describe('the four services, built, against a real nats-server', () => {
  let nats: NatsServerProcess;
  let workDir: string | undefined;
  const services = new Map<ServiceApp, ServiceProcess>();
  const service = (app: ServiceApp): ServiceProcess => {
    const found = services.get(app);
    if (!found) throw new Error(`${app} was not started`);
    return found;
  };

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    workDir = await mkdtemp(join(tmpdir(), 'natroni-test-apps-'));
    const configFile = join(workDir, 'pg1.yml');
    // nofailover: this member never bootstraps, so the suite tests the services, not PostgreSQL.
    await writeFile(
      configFile,
      stringify({
        scope: 'apps-health',
        name: 'pg1',
        nats: { servers: [nats.url] },
        restapi: { listen: `127.0.0.1:${await freePort()}` },
        postgresql: { listen: `127.0.0.1:${await freePort()}`, data_dir: join(workDir, 'data') },
        tags: { nofailover: true },
      }),
    );
    for (const app of APPS) {
      const env = { NATRONI_CONFIG: configFile };
      services.set(
        app,
        ServiceProcess.start({ app, repoDir: REPO, httpPort: await freePort(), env }),
      );
    }
  });

  afterAll(async () => {
    for (const started of services.values()) started.kill();
    await nats?.dispose();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it.each(APPS)('%s boots and reports NATS up', async (app) => {
    const health = await service(app).healthWith(200, 20_000);
    expect(health.body.info?.nats?.status).toBe('up');
  });

  it.each(APPS)('%s runs on Node.js 24', async (app) => {
    await service(app).healthWith(200, 20_000);
    // The binary the kernel runs for the service's process, asked for its version.
    const executable = await readlink(`/proc/${service(app).pid}/exe`);
    expect(execFileSync(executable, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
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
    expect(await service(app).stop('SIGTERM', 10_000)).toBe(0);
  });
});
