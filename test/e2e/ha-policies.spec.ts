import { create } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AgentClient } from '../../libs/agent-client/src/index.ts';
import { NatroniClient } from '../../libs/client/src/index.ts';
import { announcedWithin } from '../support/announced-events.ts';
import { ClusterKeys, ClusterStore, serverKey } from '../../libs/dcs/src/index.ts';
import { waitUntil, type LocalCluster, type LocalMember } from '../../libs/harness/src/index.ts';
import { FailoverRequestSchema, ServerRecordSchema } from '../../libs/proto/src/index.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries, withClient } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-policies';
const TTL_MS = E2E_TTL_SECONDS * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: LocalCluster;
let connection: NatsConnection;
let store: ClusterStore;

beforeAll(async () => {
  // pg3 may never be promoted: the leader is always pg1 or pg2.
  cluster = await startE2eCluster(SCOPE, { pg3: { nofailover: true } });
  await waitForHealthyCluster(cluster, 60_000);
  connection = await connect({ servers: cluster.nats.url });
  store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  await disposeE2eCluster(cluster);
});

async function roles(): Promise<{ leader: LocalMember; other: LocalMember }> {
  const leader = cluster.member(await waitForHealthyCluster(cluster, 60_000));
  const other = cluster.members.find((member) => member !== leader && member.name !== 'pg3')!;
  return { leader, other };
}

async function killNode(member: LocalMember): Promise<void> {
  const pid = await cluster.postmasterPid(member);
  member.election.kill();
  member.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
}

async function restartNode(member: LocalMember): Promise<void> {
  await cluster.restart(member, 'agent');
  await cluster.restart(member, 'election');
}

/** Asserts that no member becomes primary for `ms`. */
async function expectNoPrimaryFor(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    expect(await primaries(cluster)).toEqual([]);
    await sleep(250);
  }
}

test('a scheduled switchover fires at its time, not before', async () => {
  const { leader, other } = await roles();
  const at = Date.now() + 4_000;
  await store.put(
    ClusterKeys.failover,
    create(FailoverRequestSchema, {
      leader: leader.name,
      member: other.name,
      scheduledAt: new Date(at).toISOString(),
    }),
  );
  await sleep(2_000);
  expect(await primaries(cluster)).toEqual([leader.name]);
  await waitUntil(
    async () => ((await primaries(cluster)).includes(other.name) ? true : undefined),
    {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: `the scheduled switchover to ${other.name}`,
    },
  );
  expect(Date.now()).toBeGreaterThanOrEqual(at);
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(other.name);
}, 90_000);

test('a scheduled switchover that is cancelled does not happen', async () => {
  const { leader, other } = await roles();
  await store.put(
    ClusterKeys.failover,
    create(FailoverRequestSchema, {
      leader: leader.name,
      member: other.name,
      scheduledAt: new Date(Date.now() + 4_000).toISOString(),
    }),
  );
  await sleep(1_000);
  await store.delete(ClusterKeys.failover);
  await sleep(5_000);
  expect(await primaries(cluster)).toEqual([leader.name]);
}, 60_000);

test('pause mode blocks automatic failover until the cluster resumes', async () => {
  const { leader, other } = await roles();
  const events = await new NatroniClient(connection, { scope: SCOPE }).events({
    kinds: ['config_changed'],
  });
  const config = (await store.get(ClusterKeys.config))!;
  await store.update(ClusterKeys.config, { ...config.value, pause: true }, config.revision);
  expect(await announcedWithin(events, 10_000, [`config_changed:${leader.name}`])).toBeTruthy();
  await sleep(1_500);
  await killNode(leader);
  await expectNoPrimaryFor(TTL_MS * 2);

  const paused = (await store.get(ClusterKeys.config))!;
  await store.update(ClusterKeys.config, { ...paused.value, pause: undefined }, paused.revision);
  await waitUntil(
    async () => ((await primaries(cluster)).includes(other.name) ? true : undefined),
    {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: `${other.name} to be promoted once the cluster resumed`,
    },
  );
  await restartNode(leader);
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(other.name);
}, 120_000);

test('a member in maintenance (/v1/servers) stays out of the leader race until cleared', async () => {
  const { leader, other } = await roles();
  const record = create(ServerRecordSchema, { name: other.name, member: true, maintenance: true });
  await store.put(serverKey(other.name), record);
  await killNode(leader);
  await expectNoPrimaryFor(TTL_MS * 2);

  await store.put(serverKey(other.name), { ...record, maintenance: false });
  await waitUntil(
    async () => ((await primaries(cluster)).includes(other.name) ? true : undefined),
    {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: `${other.name} to be promoted once out of maintenance`,
    },
  );
  await restartNode(leader);
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(other.name);
}, 120_000);

test('neither a nofailover member nor a replica lagging past maximum_lag_on_failover is promoted', async () => {
  const { leader, other } = await roles();
  const agents = new AgentClient(connection, 'natroni', SCOPE);
  const followed = await agents.request(
    other.name,
    'follow',
    {
      term: (await store.get(ClusterKeys.leader))!.value.term,
      leader: leader.name,
      connUrl: 'postgres://127.0.0.1:1/postgres',
    },
    30_000,
  );
  expect(followed.ok).toBe(true);
  await withClient(leader, async (client) => {
    await client.query('CREATE TABLE IF NOT EXISTS lag_filler (payload text)');
    await client.query(
      "INSERT INTO lag_filler SELECT repeat('x', 1000) FROM generate_series(1, 4000)",
    );
  });
  const leaderPosition = await withClient(leader, async (client) => {
    const result = await client.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn() - $1::pg_lsn AS lsn',
      ['0/0'],
    );
    return Number(result.rows[0].lsn);
  });
  await waitUntil(
    async () =>
      (await store.get(ClusterKeys.status))!.value.optime >= leaderPosition ? true : undefined,
    {
      timeoutMs: 10_000,
      what: 'the leader to publish its optime past the filler',
    },
  );

  await killNode(leader);
  await expectNoPrimaryFor(TTL_MS * 2);

  // Once the old leader is back, the cluster has a primary again, never the nofailover member (the
  // lagging replica may win if it caught up from the old leader, which serves WAL as a standby).
  await restartNode(leader);
  expect(await waitForHealthyCluster(cluster, 90_000)).not.toBe('pg3');
}, 180_000);
