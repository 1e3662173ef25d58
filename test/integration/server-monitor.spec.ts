import { create } from '@bufbuild/protobuf';
import { UnmanagedServerMonitor } from '../../apps/api-gateway/src/maxscale/unmanaged-server-monitor.ts';
import { ClusterKeys } from '../../libs/dcs/src/index.ts';
import { PostgresInstance, waitUntil } from '../../libs/harness/src/index.ts';
import { ServerMonitorLeaseSchema } from '../../libs/proto/src/index.ts';
import {
  AUTH_HEADER,
  MaxscaleGatewayFixture,
  startV1Gateway,
  type V1Gateway,
} from '../support/maxscale-gateway-fixture.ts';

/**
 * The servers natroni does not manage, seen by two gateways of one cluster (as two nodes' gateways):
 * one monitors them and stores what it sees, the other answers from what is stored, and the key that
 * says who monitors passes on when its holder stops renewing it. A real PostgreSQL plays the server.
 */
let fixture: MaxscaleGatewayFixture;
let second: V1Gateway | undefined;
let postgres: PostgresInstance;

beforeAll(async () => {
  postgres = await PostgresInstance.initdb();
  await postgres.start();
  fixture = await MaxscaleGatewayFixture.start();
  await fixture.standardCluster();
  second = await startV1Gateway(fixture.nats.url, fixture.scope, { members: ['pg2'] });
}, 60_000);

afterAll(async () => {
  await second?.app.close();
  await fixture?.dispose();
  await postgres?.dispose();
});

function gateways(): { name: string; port: number; monitor: UnmanagedServerMonitor }[] {
  if (!second) throw new Error('the second gateway did not start');
  return [
    { name: 'first', port: fixture.port, monitor: fixture.app.get(UnmanagedServerMonitor) },
    { name: 'second', port: second.port, monitor: second.app.get(UnmanagedServerMonitor) },
  ];
}

async function stateOn(port: number, server: string): Promise<string | undefined> {
  const response = await fetch(
    `http://127.0.0.1:${port}/v1/servers/${server}?fields[servers]=state`,
    { headers: { authorization: AUTH_HEADER }, signal: AbortSignal.timeout(5_000) },
  );
  const body = (await response.json()) as { data?: { attributes?: { state?: string } } };
  return body.data?.attributes?.state;
}

function waitForStateOnBoth(server: string, state: string, what: string): Promise<unknown> {
  return waitUntil(
    async () => {
      const states = await Promise.all(gateways().map(({ port }) => stateOn(port, server)));
      return states.every((seen) => seen === state) || undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what },
  );
}

/** Which gateways monitor, sampled every 20 ms for `durationMs`: never two at once. */
async function monitoringSamples(durationMs: number): Promise<string[][]> {
  const samples: string[][] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    samples.push(gateways().flatMap(({ name, monitor }) => (monitor.monitoring ? [name] : [])));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return samples;
}

test('one gateway monitors, every gateway shows what it stored', async () => {
  const created = await fetch(`http://127.0.0.1:${fixture.port}/v1/servers`, {
    method: 'POST',
    headers: { authorization: AUTH_HEADER, 'content-type': 'application/json' },
    body: JSON.stringify({
      data: {
        id: 'outside',
        type: 'servers',
        attributes: { parameters: { address: '127.0.0.1', port: postgres.port } },
      },
    }),
  });
  expect(created.status).toBe(204);
  await waitForStateOnBoth('outside', 'Master, Running', 'both gateways to show outside running');
  const samples = await monitoringSamples(1_500);
  expect(samples.filter((names) => names.length !== 1)).toEqual([]);
  const holder = (await fixture.store.get(ClusterKeys.serverMonitor))?.value.holder;
  expect(holder).toContain(`pid ${process.pid}`);
  expect(await fixture.store.get(ClusterKeys.serverMonitor)).toBeDefined();
});

test('when the holder stops renewing, exactly one gateway takes over within the ttl it wrote', async () => {
  // Another gateway takes the key and then dies: the current holder loses it at its next renewal,
  // and nobody may take it over before its ttl has run out without a renewal.
  const current = await fixture.store.get(ClusterKeys.serverMonitor);
  if (!current) throw new Error('nobody holds the server-monitor key');
  const lapseMs = 2_000;
  await fixture.store.update(
    ClusterKeys.serverMonitor,
    create(ServerMonitorLeaseSchema, { holder: 'a gateway that died', ttl: lapseMs / 1000 }),
    current.revision,
  );
  const takenAt = performance.now();
  await waitUntil(async () => gateways().every(({ monitor }) => !monitor.monitoring) || undefined, {
    timeoutMs: 2_000,
    intervalMs: 20,
    what: 'the former holder to see it lost the key',
  });
  const resumed = await waitUntil(
    async () => gateways().find(({ monitor }) => monitor.monitoring),
    { timeoutMs: lapseMs + 3_000, intervalMs: 20, what: 'a gateway to take the lapsed key over' },
  );
  expect(performance.now() - takenAt).toBeGreaterThanOrEqual(lapseMs);
  const samples = await monitoringSamples(1_500);
  expect(samples.filter((names) => names.length !== 1)).toEqual([]);
  expect(samples.every((names) => names[0] === resumed.name)).toBe(true);
});

test('what the new holder sees reaches every gateway', async () => {
  await postgres.stop();
  await waitForStateOnBoth('outside', 'Down', 'both gateways to show outside Down once it stopped');
});
