import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClusterStore } from '../../libs/dcs/src/index.ts';
import type { MemberConfig } from '../../libs/member-config/src/index.ts';
import { freePort, NatsServerProcess, waitUntil } from '../../libs/harness/src/index.ts';
import { connectClient, uniqueScope } from '../support/nats-clients.ts';
import {
  command,
  disposeMember,
  openStore,
  sql,
  startMember,
  TestLease,
  waitForStatus,
  type TestMember,
} from '../support/node-agent-members.ts';

let nats: NatsServerProcess;
let client: NatsConnection;
let store: ClusterStore;
const members: TestMember[] = [];
const leases: TestLease[] = [];

beforeAll(async () => {
  nats = await NatsServerProcess.start();
  client = await connectClient(nats.url, 'failover-test');
});

afterEach(async () => {
  for (const lease of leases.splice(0)) await lease.stop();
  for (const member of members.splice(0)) await disposeMember(member);
});

afterAll(async () => {
  await client?.close();
  await nats?.dispose();
});

async function pair(
  scope: string,
  ttlMs: number,
  firstOverrides: Partial<MemberConfig['postgresql']> = {},
): Promise<[TestMember, TestMember, TestLease]> {
  store = await openStore(client, scope);
  const first = await startMember(nats.url, scope, 'pg1', firstOverrides);
  const second = await startMember(nats.url, scope, 'pg2');
  members.push(first, second);
  const lease = await TestLease.acquire(store, 'pg1', ttlMs);
  leases.push(lease);
  expect(await command(client, scope, 'pg1', 'bootstrap', { term: lease.term })).toMatchObject({
    ok: true,
  });
  await sql(first.port, 'CREATE TABLE t (id int)');
  expect(await command(client, scope, 'pg2', 'clone', { source_member: 'pg1' })).toMatchObject({
    ok: true,
  });
  return [first, second, lease];
}

function rowCount(port: number): Promise<number> {
  return sql<{ n: number }>(port, 'SELECT count(*)::int AS n FROM t').then((rows) => rows[0].n);
}

/**
 * pg1 leads, pg2 is cut off from it, pg1 writes what pg2 never gets, then pg2 is promoted (timeline 2)
 * and pg1, fenced and demoted, is left with a diverged timeline.
 */
async function divergedOldPrimary(
  firstOverrides: Partial<MemberConfig['postgresql']> = {},
): Promise<{ scope: string; first: TestMember; second: TestMember; newLease: TestLease }> {
  const scope = uniqueScope('agent-failover');
  const [first, second, oldLease] = await pair(scope, 6_000, firstOverrides);
  await waitForStatus(store, 'pg2', (s) => s.replicationState === 'streaming', 'streaming');
  // The split: pg2 is pointed at an address where nothing listens (a reload, no restart), and the old
  // primary writes what pg2 will never have.
  const nowhere = `postgres://127.0.0.1:${await freePort()}/postgres`;
  const split = await command(client, scope, 'pg2', 'follow', {
    term: oldLease.term,
    conn_url: nowhere,
  });
  expect(split).toMatchObject({ ok: true });
  await waitForStatus(store, 'pg2', (s) => s.replicationState === undefined, 'not streaming');
  await sql(first.port, 'INSERT INTO t SELECT generate_series(1, 1000)');
  // The old holder releases; its agent fences pg1 at once, and pg2 takes a new term.
  await oldLease.stop();
  leases.splice(leases.indexOf(oldLease), 1);
  await oldLease.lease.release();
  const newLease = await TestLease.acquire(store, 'pg2', 6_000);
  leases.push(newLease);
  expect(newLease.term).toBe(oldLease.term + 1);
  const promoted = await command(client, scope, 'pg2', 'promote', { term: newLease.term });
  expect(promoted).toMatchObject({ ok: true });
  expect(promoted.status).toMatchObject({ role: 'primary', timeline: 2 });
  await sql(second.port, 'INSERT INTO t VALUES (1)');
  await waitUntil(() => (first.agent!.machine.role !== 'primary' ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the old primary to fence itself once its lease was released',
  });
  expect(await command(client, scope, 'pg1', 'promote', { term: oldLease.term })).toMatchObject({
    errorCode: 'stale_term',
  });
  const demoted = await command(client, scope, 'pg1', 'demote', {
    term: newLease.term,
    leader: 'pg2',
  });
  expect(demoted).toMatchObject({ ok: true });
  return { scope, first, second, newLease };
}

function rewind(scope: string, second: TestMember, newLease: TestLease) {
  return command(client, scope, 'pg1', 'rewind', {
    term: newLease.term,
    source_conn_url: second.agent!.lifecycle.connUrl,
  });
}

/** pg1 streams from pg2 on timeline 2 and has pg2's rows, not its own lost ones. */
async function followsTheNewPrimary(first: TestMember, second: TestMember): Promise<void> {
  await sql(second.port, 'INSERT INTO t VALUES (2)');
  await waitUntil(async () => ((await rowCount(first.port)) === 2 ? true : undefined), {
    timeoutMs: 20_000,
    what: 'the rewound old primary to stream the new primary rows',
  });
  const status = await waitForStatus(
    store,
    'pg1',
    (s) => s.replicationState === 'streaming' && s.timeline === 2,
    'streaming on timeline 2',
  );
  expect(status.role).toBe('replica');
}

it('promotes a replica (timeline + 1) and rewinds the diverged old primary into a replica', async () => {
  const { scope, first, second, newLease } = await divergedOldPrimary();
  expect(await rewind(scope, second, newLease)).toMatchObject({
    ok: true,
    message: 'rewound, following the new primary',
  });
  await followsTheNewPrimary(first, second);
}, 120_000);

it('clones a diverged member anew without pg_rewind when remove_data_directory_on_diverged_timelines is set', async () => {
  const { scope, first, second, newLease } = await divergedOldPrimary({
    use_pg_rewind: false,
    remove_data_directory_on_diverged_timelines: true,
  });
  expect(await rewind(scope, second, newLease)).toMatchObject({
    ok: true,
    message: 'reinitialized from the new primary',
  });
  await followsTheNewPrimary(first, second);
}, 120_000);

it('leaves a diverged member as it is when use_pg_rewind is off and nothing allows removing its data', async () => {
  const { scope, first, second, newLease } = await divergedOldPrimary({ use_pg_rewind: false });
  const refused = await rewind(scope, second, newLease);
  expect(refused.ok).toBe(false);
  expect(refused.message).toContain('use_pg_rewind is off');
  expect(first.agent!.machine.role).not.toBe('primary');
  expect(existsSync(join(first.config.postgresql.data_dir, 'PG_VERSION'))).toBe(true);
}, 120_000);

it('demotes a primary whose lease stops being renewed before ttl', async () => {
  const scope = uniqueScope('agent-fence');
  const ttlMs = 4_000;
  const [first, , lease] = await pair(scope, ttlMs);
  await lease.pause();
  const pausedAt = performance.now();
  await waitUntil(() => (first.agent!.machine.role !== 'primary' ? true : undefined), {
    timeoutMs: ttlMs * 3,
    intervalMs: 20,
    what: 'the agent to fence its primary',
  });
  expect(performance.now() - pausedAt).toBeLessThan(ttlMs);
  await waitForStatus(store, 'pg1', (s) => s.state === 'running', 'running read-only');
  await expect(sql(first.port, 'INSERT INTO t VALUES (9)')).rejects.toThrow(/read-only/);
});
