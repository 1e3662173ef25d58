import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatroniClient } from '../../libs/client/src/index.ts';
import { announcedWithin } from '../support/announced-events.ts';
import { ClusterKeys, ClusterStore } from '../../libs/dcs/src/index.ts';
import { waitUntil, type LocalCluster, type LocalMember } from '../../libs/harness/src/index.ts';
import {
  createProbeTable,
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries, WritableWatch } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-failover';
const TTL_MS = E2E_TTL_SECONDS * 1000;

let cluster: LocalCluster;
let connection: NatsConnection;
let store: ClusterStore;
let watch: WritableWatch;

beforeAll(async () => {
  cluster = await startE2eCluster(SCOPE);
  const primary = await waitForHealthyCluster(cluster, 60_000);
  await createProbeTable(cluster, primary);
  connection = await connect({ servers: cluster.nats.url });
  store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
  watch = new WritableWatch(cluster);
}, 90_000);

afterEach(() => {
  // Checked after every scenario: at no sampled instant did two members accept a write.
  expect(watch.overlaps).toEqual([]);
});

afterAll(async () => {
  await watch?.stop();
  await connection?.close();
  await disposeE2eCluster(cluster);
});

async function currentPrimary(): Promise<LocalMember> {
  const found = await primaries(cluster);
  expect(found).toHaveLength(1);
  return cluster.member(found[0]);
}

/** When the lease last changed, on the server's clock (the same machine's). */
async function lastLeaseWrite(): Promise<number> {
  const entry = await store.entry(ClusterKeys.leader);
  if (!entry) throw new Error('no leader key');
  return entry.created.getTime();
}

async function waitForNewPrimary(old: string, timeoutMs: number): Promise<string> {
  return waitUntil(
    async () => {
      const found = await primaries(cluster);
      return found.length === 1 && found[0] !== old ? found[0] : undefined;
    },
    { timeoutMs, intervalMs: 20, what: `a primary other than ${old}` },
  );
}

test('a primary node lost to kill -9: a replica promotes once the lease runs out, not before; the node rejoins', async () => {
  const old = await currentPrimary();
  const events = await new NatroniClient(connection, { scope: SCOPE }).events({
    kinds: ['failover', 'member_lost'],
  });
  const pid = await cluster.postmasterPid(old);
  old.election.kill();
  old.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
  const leaseRanOutAt = (await lastLeaseWrite()) + TTL_MS;

  const promoted = await waitForNewPrimary(old.name, TTL_MS * 3);
  const promotedAt = Date.now();
  console.log(
    `failover: ${promoted} writable ${promotedAt - leaseRanOutAt} ms after the lease ran out`,
  );
  expect(promotedAt).toBeGreaterThanOrEqual(leaseRanOutAt);
  const announced = await announcedWithin(events, TTL_MS * 2, [
    `failover:${promoted}`,
    `member_lost:${old.name}`,
  ]);
  expect(announced).toContain(`failover:${promoted}`);

  await cluster.restart(old, 'agent');
  await cluster.restart(old, 'election');
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(promoted);
}, 120_000);

test("the primary's election killed alone: its agent fences PostgreSQL and another member takes over", async () => {
  const old = await currentPrimary();
  old.election.kill();
  const promoted = await waitForNewPrimary(old.name, TTL_MS * 3);
  expect(promoted).not.toBe(old.name);
  await cluster.restart(old, 'election');
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(promoted);
}, 120_000);

test("the primary's agent killed alone: its guard stops PostgreSQL and another member takes over", async () => {
  const old = await currentPrimary();
  old.agent.kill();
  const promoted = await waitForNewPrimary(old.name, TTL_MS * 3);
  await cluster.restart(old, 'agent');
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(promoted);
}, 120_000);

test("the primary's election frozen longer than ttl, then thawed: one primary throughout, and the cluster converges", async () => {
  const old = await currentPrimary();
  const pid = old.election.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    await waitForNewPrimary(old.name, TTL_MS * 3);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const primary = await waitForHealthyCluster(cluster, 60_000);
  expect(primary).not.toBe(old.name);
}, 120_000);
