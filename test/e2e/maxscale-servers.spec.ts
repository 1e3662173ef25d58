import pg from 'pg';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { streamingReplicas, SUPERUSER } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-maxscale';
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

interface ServerDoc {
  id: string;
  attributes: {
    state: string;
    version_string: string;
    node_id: number;
    master_id: number;
    replication_depth: number;
    slaves: number[];
    parameters: Record<string, unknown>;
    statistics: { connections: number };
  };
  relationships: Record<string, { data: { id: string }[] }>;
}

let cluster: LocalCluster | undefined;

afterAll(async () => {
  await disposeE2eCluster(cluster);
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const port = cluster!.members[0].ports.gateway;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: AUTH },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function servers(): Promise<Map<string, ServerDoc>> {
  const answer = await call('GET', '/v1/servers');
  const data = (answer.json as { data: ServerDoc[] }).data;
  return new Map(data.map((server) => [server.id, server]));
}

async function waitForState(name: string, state: string, timeoutMs = 20_000): Promise<ServerDoc> {
  return waitUntil(
    async () => {
      const server = (await servers()).get(name);
      return server?.attributes.state === state ? server : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `server ${name} to show "${state}"` },
  );
}

/**
 * The states and topology fields of a primary and its replicas. After a switchover the same check
 * holds with the new leader: call it again with the candidate's name.
 */
async function expectTopology(leader: string): Promise<void> {
  const replicas = cluster!.members.map((member) => member.name).filter((name) => name !== leader);
  const primary = await waitForState(leader, 'Master, Running');
  for (const name of replicas) await waitForState(name, 'Slave, Running');
  const all = await waitUntil(
    async () => {
      const found = await servers();
      return replicas.every(
        (name) => found.get(name)?.attributes.master_id === primary.attributes.node_id,
      )
        ? found
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: `both replicas to show ${leader} as their master` },
  );
  const leaderDoc = all.get(leader)!;
  const replicaIds = replicas
    .map((name) => all.get(name)!.attributes.node_id)
    .sort((a, b) => a - b);
  expect(leaderDoc.attributes).toMatchObject({
    master_id: -1,
    replication_depth: 0,
    slaves: replicaIds,
  });
  expect(leaderDoc.attributes.version_string).toMatch(/^15\.\d+$/);
  for (const name of replicas) {
    expect(all.get(name)!.attributes).toMatchObject({
      master_id: leaderDoc.attributes.node_id,
      replication_depth: 1,
      slaves: [],
    });
  }
  expect([...all.values()].map((server) => server.attributes.node_id).sort()).toEqual([1, 2, 3]);
}

test('a live 3-member cluster: states and topology of the primary and both replicas, and after a switchover', async () => {
  cluster = await startE2eCluster(SCOPE);
  const leader = await waitForHealthyCluster(cluster, 60_000);
  await expectTopology(leader);

  const candidate = cluster.members.find((member) => member.name !== leader)!.name;
  const response = await fetch(
    `http://127.0.0.1:${cluster.member(leader).ports.restapi}/switchover`,
    {
      method: 'POST',
      headers: { authorization: AUTH },
      body: JSON.stringify({ leader, candidate }),
    },
  );
  expect(response.status).toBe(200);
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(candidate);
  await expectTopology(candidate);
}, 180_000);

test('create → get → patch → relationships → maintenance → clear → delete refused → unlink → delete', async () => {
  const leader = await waitForHealthyCluster(cluster!, 60_000);
  const primaryPort = cluster!.member(leader).ports.postgres;
  const created = await call('POST', '/v1/servers', {
    data: {
      id: 'external db',
      type: 'servers',
      attributes: {
        parameters: {
          address: 'localhost',
          port: primaryPort,
          monitoruser: 'postgres',
          monitorpw: 'postgres',
        },
      },
    },
  });
  expect(created).toEqual({ status: 204, json: undefined });
  const polled = await waitForState('external-db', 'Master, Running');
  expect(polled.attributes.version_string).toMatch(/^15\.\d+$/);
  expect(polled.relationships).toEqual({});

  const patch = (parameters: Record<string, unknown>) =>
    call('PATCH', '/v1/servers/EXTERNAL-DB', { data: { attributes: { parameters } } });
  expect((await patch({ weight: 3, priority: 2 })).status).toBe(204);
  expect((await patch({ priority: 5 })).status).toBe(204);
  expect((await patch({ weight: null })).status).toBe(204);
  const patched = (await servers()).get('external-db')!.attributes.parameters;
  expect(patched).toMatchObject({ priority: 5, monitorpw: '*****' });
  expect(patched).not.toHaveProperty('weight');

  const relink = await call('PATCH', '/v1/servers/external-db', {
    data: {
      relationships: {
        services: { data: [{ id: 'read-only', type: 'services' }] },
        monitors: { data: [{ id: SCOPE, type: 'monitors' }] },
      },
    },
  });
  expect(relink.status).toBe(204);
  const linked = (await servers()).get('external-db')!;
  expect(linked.relationships['services']?.data).toEqual([{ id: 'read-only', type: 'services' }]);
  expect(
    (await call('PATCH', '/v1/servers/external-db/relationships/services', { data: [] })).status,
  ).toBe(204);
  expect(Object.keys((await servers()).get('external-db')!.relationships)).toEqual(['monitors']);

  expect(
    (await call('PUT', '/v1/servers/external-db/set?state=maintenance&force=yes')).status,
  ).toBe(204);
  await waitForState('external-db', 'Maintenance, Running');
  expect((await call('PUT', '/v1/servers/external-db/clear?state=maintenance')).status).toBe(204);
  await waitForState('external-db', 'Master, Running');

  const refused = await call('DELETE', '/v1/servers/external-db');
  expect(refused).toEqual({
    status: 403,
    json: {
      errors: [{ detail: `Cannot destroy server 'external-db' as it is used by: ${SCOPE}` }],
    },
  });
  expect(
    (await call('PATCH', '/v1/servers/external-db/relationships/monitors', { data: null })).status,
  ).toBe(204);
  expect((await call('DELETE', '/v1/servers/external-db')).status).toBe(204);
  expect((await call('GET', '/v1/servers/external-db')).status).toBe(404);
}, 120_000);

test('forced maintenance of a replica closes its client connections, keeps it streaming, and takes it out of /replica', async () => {
  const leader = await waitForHealthyCluster(cluster!, 60_000);
  const replica = cluster!.members.find((member) => member.name !== leader)!;
  const client = new pg.Client({
    host: '127.0.0.1',
    port: replica.ports.postgres,
    ...SUPERUSER,
  });
  const closed = new Promise<void>((resolve) => client.on('error', () => resolve()));
  await client.connect();
  try {
    expect(
      (await call('PUT', `/v1/servers/${replica.name}/set?state=maintenance&force=yes`)).status,
    ).toBe(204);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      closed,
      new Promise((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error('the client connection was not terminated within 10 s')),
          10_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    await waitForState(replica.name, 'Maintenance, Running');
    const health = await fetch(`http://127.0.0.1:${replica.ports.restapi}/replica`);
    expect(health.status).toBe(503);
    expect(await streamingReplicas(cluster!.member(leader))).toContain(replica.name);
    expect((await call('PUT', `/v1/servers/${replica.name}/clear?state=maintenance`)).status).toBe(
      204,
    );
    await waitForState(replica.name, 'Slave, Running');
    await waitUntil(
      async () =>
        (await fetch(`http://127.0.0.1:${replica.ports.restapi}/replica`)).status === 200
          ? true
          : undefined,
      { timeoutMs: 10_000, what: `${replica.name} /replica to answer 200 again` },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}, 120_000);

test('drain reaches Drained with only natroni sessions open; a client session makes it Draining until closed', async () => {
  const leader = await waitForHealthyCluster(cluster!, 60_000);
  const replica = cluster!.members.find((member) => member.name !== leader)!;
  expect((await call('PUT', `/v1/servers/${replica.name}/set?state=drain`)).status).toBe(204);
  try {
    await waitForState(replica.name, 'Drained, Slave, Running');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: replica.ports.postgres,
      application_name: 'e2e-drain-client',
      ...SUPERUSER,
    });
    await client.connect();
    try {
      const draining = await waitForState(replica.name, 'Draining, Slave, Running');
      expect(draining.attributes.statistics.connections).toBeGreaterThanOrEqual(1);
    } finally {
      await client.end();
    }
    await waitForState(replica.name, 'Drained, Slave, Running');
  } finally {
    expect((await call('PUT', `/v1/servers/${replica.name}/clear?state=drain`)).status).toBe(204);
  }
  await waitForState(replica.name, 'Slave, Running');
}, 120_000);
