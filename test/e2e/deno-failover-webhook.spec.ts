import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import { DenoProcess, scratchDenoDir } from '../support/deno.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-deno-webhook';

let cluster: LocalCluster;
let webhook: Server;
let plugin: DenoProcess | undefined;
let denoDir: Awaited<ReturnType<typeof scratchDenoDir>> | undefined;
const received: Record<string, unknown>[] = [];

beforeAll(async () => {
  webhook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  cluster = await startE2eCluster(SCOPE);
  await waitForHealthyCluster(cluster, 60_000);
  denoDir = await scratchDenoDir();
}, 90_000);

afterAll(async () => {
  await plugin?.stop();
  await disposeE2eCluster(cluster);
  await new Promise((resolve) => webhook?.close(resolve));
  await denoDir?.dispose();
});

test('examples/failover-webhook.ts under Deno logs the new primary and calls the webhook on a real failover', async () => {
  const { port } = webhook.address() as AddressInfo;
  plugin = DenoProcess.start(
    [
      '--allow-net',
      '--allow-env',
      '--allow-read',
      'examples/failover-webhook.ts',
      '--nats',
      cluster.nats.url,
      '--scope',
      SCOPE,
      `http://127.0.0.1:${port}/hook`,
    ],
    { DENO_DIR: denoDir?.path ?? '' },
  );
  await plugin.waitForOutput(/watching failovers/, 60_000, 'the plugin to subscribe');

  const [leader] = await primaries(cluster);
  const old = cluster.member(leader);
  const pid = await cluster.postmasterPid(old);
  old.election.kill();
  old.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');

  const [body] = await waitUntil(() => (received.length > 0 ? received : undefined), {
    timeoutMs: E2E_TTL_SECONDS * 1000 * 4,
    intervalMs: 100,
    what: `the webhook call after ${leader} was lost (plugin output: ${plugin.recentOutput})`,
  });
  const promoted = await waitUntil(
    async () => {
      const found = await primaries(cluster);
      return found.length === 1 && found[0] !== leader ? found[0] : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `a primary other than ${leader}` },
  );
  expect(body).toMatchObject({
    kind: 'failover',
    scope: SCOPE,
    new_primary: promoted,
    old_primary: leader,
  });
  expect(plugin.recentOutput).toContain(`new primary ${promoted} (was ${leader})`);
});
