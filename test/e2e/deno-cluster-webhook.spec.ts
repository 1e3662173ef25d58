import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import { DenoProcess, REPO_DIR, runDeno, scratchDenoDir } from '../support/deno.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';

const SCOPE = 'e2e-deno-webhook';
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

/**
 * A Deno program of its own, in a directory outside the repository (no deno.json, no import map): it
 * imports the client library by its file URL, asks for a switchover and waits for the event.
 */
const OUTSIDE_TEST = `import { connect, NatroniClient } from '${pathToFileURL(join(REPO_DIR, 'libs/client/mod.ts')).href}';

Deno.test({
  name: 'the client library receives the switchover it asked for',
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const leader = Deno.env.get('LEADER') ?? '';
    const candidate = Deno.env.get('CANDIDATE') ?? '';
    const nc = await connect({ servers: Deno.env.get('NATS_URL') });
    try {
      const client = new NatroniClient(nc, { scope: Deno.env.get('SCOPE') ?? '' });
      const events = await client.events({ kinds: ['switchover_completed'] });
      const timer = setTimeout(() => events.stop(), 60_000);
      await client.switchover({ leader, candidate });
      let seen = '';
      for await (const { event } of events) {
        if (event.detail.case === 'switchoverCompleted')
          seen = event.detail.value.leader + ' -> ' + event.detail.value.candidate;
        break;
      }
      clearTimeout(timer);
      events.stop();
      if (seen !== leader + ' -> ' + candidate)
        throw new Error('expected switchover_completed ' + leader + ' -> ' + candidate + ' within 60 s, got "' + seen + '"');
      console.log('switchover_completed ' + seen);
    } finally {
      await nc.close();
    }
  },
});
`;

let cluster: LocalCluster;
let webhook: Server;
let plugin: DenoProcess | undefined;
let denoDir: Awaited<ReturnType<typeof scratchDenoDir>> | undefined;
let outsideDir: string | undefined;
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
  outsideDir = await mkdtemp(join(tmpdir(), 'natroni-test-deno-outside-'));
}, 90_000);

afterAll(async () => {
  await plugin?.stop();
  await disposeE2eCluster(cluster);
  await new Promise((resolve) => webhook?.close(resolve));
  await denoDir?.dispose();
  if (outsideDir) await rm(outsideDir, { recursive: true, force: true });
});

function webhookCall(
  what: string,
  matches: (body: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return waitUntil(() => received.find(matches), {
    timeoutMs,
    intervalMs: 100,
    what: `${what} (webhook calls: ${JSON.stringify(received)}; plugin output: ${plugin?.recentOutput ?? ''})`,
  });
}

const leaderChange = (from: string, to: string) => (body: Record<string, unknown>) =>
  body['kind'] === 'leader_elected' && body['old_primary'] === from && body['new_primary'] === to;

test('the example plugin reports a switchover asked by a Deno program outside the repository, a manual failover, a failover and the lost member', async () => {
  const { port } = webhook.address() as AddressInfo;
  plugin = DenoProcess.start(
    [
      '--node-modules-dir=manual',
      '--allow-net',
      '--allow-env',
      '--allow-read',
      'examples/cluster-webhook.ts',
      '--nats',
      cluster.nats.url,
      '--scope',
      SCOPE,
      `http://127.0.0.1:${port}/hook`,
    ],
    { DENO_DIR: denoDir?.path ?? '' },
  );
  await plugin.waitForOutput(/watching leader changes/, 60_000, 'the plugin to subscribe');

  const first = await waitForHealthyCluster(cluster, 60_000);
  const [second, third] = cluster.members.map((m) => m.name).filter((name) => name !== first);
  await writeFile(join(outsideDir!, 'client_test.ts'), OUTSIDE_TEST);
  const outsideDenoDir = await scratchDenoDir();
  try {
    const run = await runDeno(
      ['test', '--node-modules-dir=manual', '--allow-net', '--allow-env', 'client_test.ts'],
      {
        DENO_DIR: outsideDenoDir.path,
        NATS_URL: cluster.nats.url,
        SCOPE,
        LEADER: first,
        CANDIDATE: second,
      },
      120_000,
      outsideDir,
    );
    expect({ code: run.code, output: run.output }).toEqual({
      code: 0,
      output: expect.stringContaining(`switchover_completed ${first} -> ${second}`),
    });
  } finally {
    await outsideDenoDir.dispose();
  }
  await webhookCall(`the switchover ${first} -> ${second}`, leaderChange(first, second), 30_000);
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(second);

  const failover = await fetch(
    `http://127.0.0.1:${cluster.member(second).ports.restapi}/failover`,
    {
      method: 'POST',
      headers: { authorization: AUTH },
      body: JSON.stringify({ candidate: third }),
    },
  );
  expect(failover.status).toBe(200);
  await webhookCall(
    `the manual failover ${second} -> ${third}`,
    leaderChange(second, third),
    30_000,
  );
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(third);

  const lost = cluster.member(third);
  const pid = await cluster.postmasterPid(lost);
  lost.election.kill();
  lost.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
  const body = await webhookCall(
    `the failover away from ${third}`,
    (call) =>
      call['kind'] === 'leader_elected' &&
      call['old_primary'] === third &&
      call['new_primary'] !== third,
    E2E_TTL_SECONDS * 1000 * 4,
  );
  expect([first, second]).toContain(body['new_primary']);
  expect(
    await webhookCall(`${third} lost`, (call) => call['kind'] === 'member_lost', 30_000),
  ).toMatchObject({
    member: third,
    last_role: 'primary',
    scope: SCOPE,
  });
  expect(plugin.recentOutput).toContain(
    `new primary ${body['new_primary'] as string} (was ${third})`,
  );
}, 240_000);
