import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore, electionKey } from '../../libs/dcs/src/index.ts';
import {
  freeClusterPorts,
  waitUntil,
  type LocalCluster,
  type LocalMember,
} from '../../libs/harness/src/index.ts';
import {
  createProbeTable,
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { NatsLink } from '../support/nats-link.ts';
import { isPrimary, primaries, WritableWatch } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-partition';
const TTL_MS = E2E_TTL_SECONDS * 1000;
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

let cluster: LocalCluster;
let links: Map<string, NatsLink>;
let connection: NatsConnection;
let store: ClusterStore;
let watch: WritableWatch;

beforeAll(async () => {
  const ports = await freeClusterPorts(3);
  links = new Map();
  for (const name of ['pg1', 'pg2', 'pg3']) links.set(name, await NatsLink.open(ports.nats));
  const memberNatsPorts = Object.fromEntries([...links].map(([name, link]) => [name, link.port]));
  cluster = await startE2eCluster(SCOPE, undefined, { ports, memberNatsPorts });
  const primary = await waitForHealthyCluster(cluster, 60_000);
  await createProbeTable(cluster, primary);
  // One test stops nats-server for several ttls: keep reconnecting for as long as that takes.
  connection = await connect({
    servers: cluster.nats.url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
  watch = new WritableWatch(cluster);
}, 90_000);

afterEach(() => {
  for (const link of links.values()) link.restore();
  // Checked after every scenario: at no sampled instant did two members accept a write.
  expect(watch.overlaps).toEqual([]);
});

afterAll(async () => {
  await watch?.stop();
  await connection?.close();
  await disposeE2eCluster(cluster);
  await Promise.all([...(links?.values() ?? [])].map((link) => link.close()));
});

async function currentPrimary(): Promise<LocalMember> {
  const found = await primaries(cluster);
  expect(found).toHaveLength(1);
  return cluster.member(found[0]);
}

async function patchConfig(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${cluster.members[0].ports.restapi}/config`, {
    method: 'PATCH',
    headers: { authorization: AUTH },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
}

/** Samples `member` every 200 ms for `durationMs`; returns the instants at which it was not primary. */
async function notPrimaryDuring(member: LocalMember, durationMs: number): Promise<number[]> {
  const instants: number[] = [];
  const endAt = Date.now() + durationMs;
  while (Date.now() < endAt) {
    if (!(await isPrimary(member))) instants.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return instants;
}

test('failsafe mode on: a primary cut from NATS stays the only primary while every member accepts it, and keeps its term', async () => {
  await patchConfig({ failsafe_mode: true });
  await waitUntil(
    async () => {
      const entry = await store.get(ClusterKeys.failsafe);
      return Object.keys(entry?.value.members ?? {}).length === 3 ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'the failsafe key to name all three members' },
  );
  const primary = await currentPrimary();
  const before = await store.get(ClusterKeys.leader);
  expect(before?.value.member).toBe(primary.name);

  links.get(primary.name)!.cut();
  // Three ttls: without failsafe mode the primary would have demoted itself after one.
  expect(await notPrimaryDuring(primary, TTL_MS * 3)).toEqual([]);
  expect(await primaries(cluster)).toEqual([primary.name]);
  const during = await store.get(ClusterKeys.leader);
  expect(during?.revision).toBe(before?.revision);

  links.get(primary.name)!.restore();
  const reclaimed = await waitUntil(
    async () => {
      const entry = await store.get(ClusterKeys.leader);
      return entry && entry.revision > before!.revision ? entry : undefined;
    },
    { timeoutMs: TTL_MS * 2, intervalMs: 100, what: 'the primary to renew its lease again' },
  );
  expect(reclaimed.value).toMatchObject({ member: primary.name, term: before?.value.term });
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(primary.name);
}, 180_000);

test('failsafe mode on: with NATS down for every member, the primary stays the only primary and keeps its lease when NATS returns', async () => {
  await patchConfig({ failsafe_mode: true });
  await waitUntil(
    async () => {
      const topology = await store.get(ClusterKeys.failsafe);
      if (Object.keys(topology?.value.members ?? {}).length !== 3) return undefined;
      for (const member of cluster.members) {
        const endpoint = await store.get(electionKey(member.name));
        if (!endpoint?.value.failsafeUrl) return undefined;
      }
      return true;
    },
    {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'the failsafe key and every election failsafe endpoint',
    },
  );
  const primary = await currentPrimary();
  const before = await store.get(ClusterKeys.leader);
  const replica = cluster.members.find((member) => member !== primary)!;
  const electionUrl = `http://127.0.0.1:${replica.ports.election}/failsafe`;
  const unauthenticated = await fetch(electionUrl, { method: 'POST', body: '{"name":"x"}' });
  expect(unauthenticated.status).toBe(401);
  expect(await unauthenticated.text()).toBe('no auth header received');
  const malformed = await fetch(electionUrl, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: '{"name": 5}',
  });
  expect(malformed.status).toBe(400);

  await cluster.nats.stop();
  try {
    expect(await notPrimaryDuring(primary, TTL_MS * 3)).toEqual([]);
    expect(await primaries(cluster)).toEqual([primary.name]);
  } finally {
    await cluster.nats.restart();
  }
  const renewed = await waitUntil(
    async () => {
      const entry = await store.get(ClusterKeys.leader).catch(() => undefined);
      return entry && entry.revision > before!.revision ? entry : undefined;
    },
    { timeoutMs: TTL_MS * 2, intervalMs: 200, what: 'the primary to renew its lease again' },
  );
  expect(renewed.value).toMatchObject({ member: primary.name, term: before?.value.term });
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(primary.name);
}, 180_000);

test('failsafe mode off: a primary cut from NATS demotes itself, one replica takes over, never two writable', async () => {
  await patchConfig({ failsafe_mode: null });
  await waitUntil(async () => ((await store.get(ClusterKeys.failsafe)) ? undefined : true), {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: 'the leader to delete the failsafe key',
  });
  const old = await currentPrimary();
  links.get(old.name)!.cut();
  const promoted = await waitUntil(
    async () => {
      const found = await primaries(cluster);
      return found.length === 1 && found[0] !== old.name ? found[0] : undefined;
    },
    { timeoutMs: TTL_MS * 3, intervalMs: 50, what: `a primary other than ${old.name}` },
  );
  expect(await isPrimary(old)).toBe(false);

  links.get(old.name)!.restore();
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(promoted);
}, 180_000);
