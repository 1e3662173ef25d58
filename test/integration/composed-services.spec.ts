import { resolve } from 'node:path';
import {
  freePort,
  NatsServerProcess,
  ServiceProcess,
  waitForExit,
} from '../../libs/harness/src/index.ts';

/** The api-gateway and metrics composed in one built process (dist/bundles/composed), on a real nats-server. */
const repoDir = resolve(__dirname, '../..');
let nats: NatsServerProcess;
let composed: ServiceProcess;
let gatewayPort: number;
let metricsPort: number;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  nats = await NatsServerProcess.start();
  gatewayPort = await freePort();
  metricsPort = await freePort();
  composed = ServiceProcess.startComposed({
    services: [
      { app: 'api-gateway', httpPort: gatewayPort },
      { app: 'metrics', httpPort: metricsPort },
    ],
    repoDir,
    env: { NATRONI_SCOPE: 'composed', NATRONI_NATS_SERVERS: nats.url },
  });
  started.push(composed);
});

afterAll(async () => {
  for (const service of started) service.kill();
  await nats?.dispose();
});

async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; line: string }> {
  const service = ServiceProcess.startComposed({
    services: [
      { app: 'api-gateway', httpPort: await freePort() },
      { app: 'metrics', httpPort: await freePort() },
    ],
    repoDir,
    env: { NATRONI_NATS_SERVERS: nats.url, ...env },
  });
  started.push(service);
  await waitForExit(service.child, 20_000);
  const output = service.recentOutput;
  const line = output.split('\n').find((candidate) => candidate.includes('failed to start'));
  if (!line) throw new Error(`no "failed to start" line in: ${output}`);
  return { code: service.child.exitCode, line };
}

test('both services answer on their own ports with NATS up', async () => {
  const health = await composed.healthWith(200, 30_000);
  expect(health.body.info?.nats?.status).toBe('up');
  expect((await composed.health(metricsPort)).body.info?.nats?.status).toBe('up');

  const cluster = await fetch(`http://127.0.0.1:${gatewayPort}/cluster`);
  expect(cluster.status).toBe(200);
  expect(await cluster.json()).toMatchObject({ members: [] });

  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('natroni_events_total');
});

test('stops cleanly on SIGTERM, closing both services', async () => {
  expect(await composed.stop('SIGTERM', 15_000)).toBe(0);
  await expect(fetch(`http://127.0.0.1:${metricsPort}/health`)).rejects.toThrow();
});

test('NATRONI_HTTP_PORT beside NATRONI_SERVICES stops the process at once, naming both', async () => {
  const { code, line } = await runToExit({ NATRONI_HTTP_PORT: '8080' });
  expect(code).toBe(1);
  expect(JSON.parse(line)).toMatchObject({
    msg: 'the services of NATRONI_SERVICES failed to start',
  });
  expect(line).toContain(
    'NATRONI_HTTP_PORT: a composed process gives each service its port in NATRONI_SERVICES instead',
  );
});

test('the composed gateway refuses workers of its own', async () => {
  const { code, line } = await runToExit({ NATRONI_GATEWAY_WORKERS: '2' });
  expect(code).toBe(1);
  expect(JSON.parse(line)).toMatchObject({ service: 'api-gateway+metrics' });
  expect(line).toContain('NATRONI_GATEWAY_WORKERS: the api-gateway composed with other services');
});
