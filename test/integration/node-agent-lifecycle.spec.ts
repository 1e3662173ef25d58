import { create } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClusterKeys, type ClusterStore } from '../../libs/dcs/src/index.ts';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServerProcess, postgresBinDir, waitUntil } from '../../libs/harness/src/index.ts';
import { DynamicConfigSchema, PostgresqlDynamicConfigSchema } from '../../libs/proto/src/index.ts';
import { connectClient, uniqueScope } from '../support/nats-clients.ts';
import {
  command,
  disposeMember,
  REPLICATION,
  memberStatus,
  openStore,
  sql,
  startMember,
  TestLease,
  waitForStatus,
  type TestMember,
} from '../support/node-agent-members.ts';

const TTL_MS = 30_000;

let nats: NatsServerProcess;
let client: NatsConnection;
let store: ClusterStore;
let lease: TestLease;
let primary: TestMember;
let replica: TestMember;
/** A member whose only replica method restores without a leader (`no_leader`). */
let restored: TestMember;
let scriptDir: string;
const scope = uniqueScope('agent-life');

beforeAll(async () => {
  nats = await NatsServerProcess.start();
  client = await connectClient(nats.url, `${scope}-test`);
  store = await openStore(client, scope);
  primary = await startMember(nats.url, scope, 'pg1');
  replica = await startMember(nats.url, scope, 'pg2');
  scriptDir = await mkdtemp(join(tmpdir(), 'natroni-restore-'));
  await chmod(scriptDir, 0o755);
  restored = await startMember(nats.url, scope, 'pg3', {
    create_replica_methods: ['restore', 'basebackup'],
    replica_method_options: {
      restore: { command: join(scriptDir, 'restore.sh'), no_leader: true, keep_data: false },
    },
  });
  lease = await TestLease.acquire(store, 'pg1', TTL_MS);
}, 60_000);

afterAll(async () => {
  await lease?.stop();
  for (const member of [restored, replica, primary]) if (member) await disposeMember(member);
  if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
  await client?.close();
  await nats?.dispose();
});

it('bootstraps a writable primary', async () => {
  const reply = await command(client, scope, 'pg1', 'bootstrap', { term: lease.term });
  expect(reply).toMatchObject({ ok: true, errorCode: '' });
  expect(reply.status).toMatchObject({ state: 'running', role: 'primary' });
  await sql(primary.port, 'CREATE TABLE t (id int)');
  await sql(primary.port, 'INSERT INTO t VALUES (1)');
  const status = await waitForStatus(store, 'pg1', (s) => (s.xlog?.location ?? 0) > 0, 'xlog');
  expect(status).toMatchObject({ state: 'running', role: 'primary', timeline: 1 });
  expect(status.databaseSystemIdentifier).toMatch(/^\d+$/);
});

it('clones a streaming replica that sees the rows written on the primary', async () => {
  const reply = await command(client, scope, 'pg2', 'clone', { source_member: 'pg1' });
  expect(reply).toMatchObject({ ok: true });
  await sql(primary.port, 'INSERT INTO t VALUES (2)');
  await waitUntil(
    async () =>
      (await sql(replica.port, 'SELECT count(*)::int AS n FROM t'))[0].n === 2 ? true : undefined,
    { timeoutMs: 20_000, what: 'the replica to see the second row' },
  );
  const status = await waitForStatus(
    store,
    'pg2',
    (s) => s.replicationState === 'streaming',
    'streaming',
  );
  expect(status).toMatchObject({ role: 'replica', state: 'running', timeline: 1 });
  const upstream = await waitForStatus(
    store,
    'pg1',
    (s) => s.replication.length === 1,
    'one walsender',
  );
  expect(upstream.replication[0]).toMatchObject({
    applicationName: 'pg2',
    usename: 'replicator',
    state: 'streaming',
  });
});

it('creates a replica without a leader with a no_leader method', async () => {
  // A stand-in for a restore from a backup repository: it knows where to copy from by itself.
  const source = `host=127.0.0.1 port=${primary.port} user=${REPLICATION.username} password=${REPLICATION.password}`;
  await writeFile(
    join(scriptDir, 'restore.sh'),
    [
      '#!/bin/sh',
      'for arg; do case "$arg" in --datadir=*) datadir="${arg#--datadir=}";; --connstring=*) conn="${arg#--connstring=}";; esac; done',
      'test -z "$conn" || exit 2',
      `${postgresBinDir()}/pg_basebackup -D "$datadir" -X stream -d "${source}" --no-sync`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  // A missing source is no request for a restore: that takes without_leader.
  expect(await command(client, scope, 'pg3', 'clone', {})).toMatchObject({
    ok: false,
    errorCode: 'bad_request',
  });
  const reply = await command(client, scope, 'pg3', 'clone', { without_leader: true });
  expect(reply).toMatchObject({
    ok: true,
    message: 'created a replica without a leader using restore',
  });
  await sql(primary.port, 'INSERT INTO t VALUES (100)');
  // Without a leader it follows nobody: it has what the backup held, and no more.
  const rows = await sql(restored.port, 'SELECT count(*)::int AS n FROM t');
  expect(rows[0].n).toBe(2);
  const status = await waitForStatus(store, 'pg3', (s) => s.state === 'running', 'running');
  expect(status).toMatchObject({ role: 'replica' });
});

it('refuses a stale term and answers bad payloads with a clear error', async () => {
  expect(await command(client, scope, 'pg2', 'promote', { term: lease.term - 1 })).toMatchObject({
    ok: false,
    errorCode: 'stale_term',
  });
  const garbage = await command(client, scope, 'pg2', 'promote', '{not json');
  expect(garbage).toMatchObject({ ok: false, errorCode: 'bad_request' });
  expect(garbage.message).toMatch(/malformed promote request: invalid JSON/);
  const wrongType = await command(client, scope, 'pg2', 'demote', { term: 'soon' });
  expect(wrongType).toMatchObject({ ok: false, errorCode: 'bad_request' });
  expect(await command(client, scope, 'pg2', 'explode', {})).toMatchObject({
    ok: false,
    errorCode: 'bad_request',
  });
  expect(await command(client, scope, 'pg2', 'stop', { mode: 'gently' })).toMatchObject({
    ok: false,
    errorCode: 'bad_request',
  });
  expect(await command(client, scope, 'pg1', 'restart', { role: 'leader' })).toMatchObject({
    ok: false,
    message: 'PostgreSQL role should be either primary, standby_leader, or replica',
  });
  // The agent still answers.
  expect(await command(client, scope, 'pg2', 'status')).toMatchObject({ ok: true });
});

it('drops physical slots unused for member_slots_ttl, on the primary and on a replica, but keeps permanent and ignored ones', async () => {
  const slotsOn = async (port: number) =>
    (await sql<{ slot_name: string }>(port, 'SELECT slot_name FROM pg_replication_slots'))
      .map((row) => row.slot_name)
      .sort();
  for (const slot of ['departed', 'keep_me', 'ignored_tool'])
    await sql(primary.port, `SELECT pg_create_physical_replication_slot('${slot}')`);
  await sql(replica.port, "SELECT pg_create_physical_replication_slot('left_by_a_former_primary')");
  await store.put(
    ClusterKeys.config,
    create(DynamicConfigSchema, {
      ttl: TTL_MS / 1_000,
      memberSlotsTtl: '0',
      slots: { keep_me: { type: 'physical' } },
      ignoreSlots: [{ name: 'ignored_tool' }],
    }),
  );
  await waitUntil(
    async () => {
      const onPrimary = await slotsOn(primary.port);
      const onReplica = await slotsOn(replica.port);
      return !onPrimary.includes('departed') && onReplica.length === 0
        ? { onPrimary, onReplica }
        : undefined;
    },
    { timeoutMs: 20_000, what: 'the unused slots to be dropped' },
  );
  expect(await slotsOn(primary.port)).toEqual(['ignored_tool', 'keep_me', 'pg2']);
});

it('reloads, detects a pending restart, and restarts through NATS', async () => {
  await store.put(
    ClusterKeys.config,
    create(DynamicConfigSchema, {
      ttl: TTL_MS / 1_000,
      postgresql: create(PostgresqlDynamicConfigSchema, { parameters: { max_connections: 120 } }),
    }),
  );
  await waitUntil(
    async () => ((await memberStatus(store, 'pg1'))?.state === 'running' ? true : undefined),
    {
      timeoutMs: 5_000,
      what: 'pg1 running',
    },
  );
  // The agent's watch must have the new config before the reload.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await command(client, scope, 'pg1', 'reload')).toMatchObject({ ok: true });
  const pending = await waitForStatus(store, 'pg1', (s) => s.pendingRestart, 'pending_restart');
  expect(pending.pendingRestartReason.max_connections).toMatchObject({
    oldValue: '100',
    newValue: '120',
  });
  const before = pending.postmasterStartTime;
  expect(await command(client, scope, 'pg1', 'restart', { role: 'replica' })).toMatchObject({
    ok: false,
    message: 'restart conditions are not satisfied',
  });
  const restarted = await command(client, scope, 'pg1', 'restart', { restart_pending: true });
  expect(restarted).toMatchObject({ ok: true, message: 'restarted successfully' });
  const after = await waitForStatus(
    store,
    'pg1',
    (s) => s.state === 'running' && !s.pendingRestart,
    'restarted',
  );
  expect(after.postmasterStartTime).not.toBe(before);
  expect((await sql<{ max_connections: string }>(primary.port, 'SHOW max_connections'))[0]).toEqual(
    {
      max_connections: '120',
    },
  );
});

it('schedules a restart, shows it in the member status, and cancels it (DELETE /restart)', async () => {
  expect(await command(client, scope, 'pg2', 'cancel_restart')).toMatchObject({
    ok: false,
    errorCode: 'not_found',
    message: 'no restarts are scheduled',
  });
  const schedule = new Date(Date.now() + 3_600_000).toISOString();
  expect(await command(client, scope, 'pg2', 'restart', { schedule })).toMatchObject({ ok: true });
  await waitForStatus(store, 'pg2', (s) => s.scheduledRestart !== undefined, 'a scheduled restart');
  expect(await command(client, scope, 'pg2', 'cancel_restart')).toMatchObject({
    ok: true,
    message: 'scheduled restart deleted',
  });
  await waitForStatus(
    store,
    'pg2',
    (s) => s.scheduledRestart === undefined,
    'no scheduled restart',
  );
  expect(await command(client, scope, 'pg2', 'cancel_restart')).toMatchObject({
    errorCode: 'not_found',
  });
});

it('detects a killed postmaster as crashed within 2 s, and starts again', async () => {
  const pid = Number(
    (await sql<{ pid: number }>(replica.port, 'SELECT pg_backend_pid() AS pid'))[0].pid,
  );
  expect(pid).toBeGreaterThan(0);
  const postmasterPid = replica.agent!.lifecycle.running ? await postmasterPidOf(replica) : 0;
  const killedAt = performance.now();
  process.kill(postmasterPid, 'SIGKILL');
  await waitUntil(() => (replica.agent!.machine.state === 'crashed' ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 10,
    what: 'the agent to notice the crash',
  });
  expect(performance.now() - killedAt).toBeLessThan(2_000);
  await waitForStatus(store, 'pg2', (s) => s.state === 'crashed', 'crashed');
  expect(await command(client, scope, 'pg2', 'start')).toMatchObject({ ok: true });
  await waitForStatus(
    store,
    'pg2',
    (s) => s.state === 'running' && s.replicationState === 'streaming',
    'streaming again',
  );
});

it('reinitializes a replica through NATS', async () => {
  expect(await command(client, scope, 'pg1', 'reinitialize')).toMatchObject({
    ok: false,
    message: 'I am the leader, can not reinitialize',
  });
  const reply = await command(client, scope, 'pg2', 'reinitialize', { from_leader: true });
  expect(reply).toMatchObject({ ok: true, message: 'reinitialize started' });
  await sql(primary.port, 'INSERT INTO t VALUES (3)');
  await waitUntil(
    async () =>
      (await sql(replica.port, 'SELECT count(*)::int AS n FROM t'))[0].n === 3 ? true : undefined,
    { timeoutMs: 20_000, what: 'the reinitialized replica to see the third row' },
  );
});

async function postmasterPidOf(member: TestMember): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`${member.config.postgresql.data_dir}/postmaster.pid`, 'utf8');
  return Number(text.split('\n')[0]);
}
