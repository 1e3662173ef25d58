import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  postgresBinDir,
  waitUntil,
  type LocalCluster,
  type LocalMember,
} from '../../libs/harness/src/index.ts';
import {
  createProbeTable,
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import {
  isPrimary,
  isReplica,
  primaries,
  streamingReplicas,
  withClient,
} from '../support/postgres-probe.ts';
import { natronictl } from '../support/natronictl-runner.ts';

/**
 * Two clusters on one machine, each with its own NATS and scope: the second is a standby cluster of
 * the first. It starts fed by the first's WAL archive alone (restore_command, no host): its standby
 * leader is copied by a `no_leader` method of standby_cluster's create_replica_methods, its other
 * members cascade from the standby leader, copied by the same methods (one falls back to basebackup).
 * Then `host` names two addresses, one dead, and the standby leader streams from the primary
 * behind the other; losing the standby leader makes another member standby leader; removing
 * `standby_cluster` from its configuration promotes it.
 */
let source: LocalCluster | undefined;
let standby: LocalCluster | undefined;
let scriptDir: string | undefined;

const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

afterAll(async () => {
  await disposeE2eCluster(standby);
  await disposeE2eCluster(source);
  if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
});

/**
 * The copy method stands in for a backup tool: without a member to copy from (the standby leader
 * of a cluster without host) it "restores" a base backup taken of the remote primary; given a
 * member, it fails on its first call (the fallback to basebackup is then seen) and copies the member
 * with pg_basebackup on later calls.
 */
async function writeCopyScript(dir: string, logDir: string, remotePort: number): Promise<string> {
  const bin = postgresBinDir();
  const script = join(dir, 'copy-standby.sh');
  const lines = [
    `echo "$*" >> ${logDir}/copy.log`,
    `for arg; do case "$arg" in --datadir=*) datadir="\${arg#--datadir=}";; --connstring=*) conn="\${arg#--connstring=}";; esac; done`,
    'if [ -z "$conn" ]; then',
    `  conn="host=127.0.0.1 port=${remotePort} user=replicator dbname=postgres"`,
    '  export PGPASSWORD=replicator',
    `elif mkdir ${logDir}/first-cascade 2> /dev/null; then`,
    '  echo "no backup to restore" >&2',
    '  exit 3',
    'fi',
    `${bin}/pg_basebackup -D "$datadir" -X stream -d "$conn" --checkpoint=fast --no-sync || exit 1`,
    // Not in the data directory, which pg_basebackup would copy to the next member.
    `echo "$datadir" >> ${logDir}/created.log`,
  ];
  await writeFile(script, `#!/bin/sh\n${lines.join('\n')}\n`, { mode: 0o755 });
  return script;
}

/** Closes the remote primary's WAL segment, so that it is archived. */
async function switchWal(member: LocalMember): Promise<void> {
  await withClient(member, (client) => client.query('SELECT pg_switch_wal()'));
}

async function patchConfig(member: LocalMember, patch: unknown): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${member.ports.restapi}/config`, {
    method: 'PATCH',
    headers: { authorization: AUTH },
    body: JSON.stringify(patch),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
}

interface ClusterMemberRow {
  name: string;
  role: string;
  state: string;
}

async function clusterMembers(member: LocalMember): Promise<ClusterMemberRow[]> {
  const response = await fetch(`http://127.0.0.1:${member.ports.restapi}/cluster`, {
    signal: AbortSignal.timeout(5_000),
  });
  return ((await response.json()) as { members: ClusterMemberRow[] }).members;
}

async function healthStatus(member: LocalMember, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${member.ports.restapi}${path}`, {
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** `natronictl list` against the member's gateway, as rows of its JSON format. */
async function listed(member: LocalMember): Promise<Record<string, unknown>[]> {
  const result = await natronictl(
    ['--gateway', `http://127.0.0.1:${member.ports.gateway}`, 'list', '-f', 'json'],
    { NATRONI_RESTAPI_USERNAME: 'admin', NATRONI_RESTAPI_PASSWORD: 'admin' },
    30_000,
  );
  if (result.code !== 0) throw new Error(`natronictl list: exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}

/** The member `/cluster` (asked on `asked`) names standby leader, once it runs and answers /standby-leader. */
async function waitForStandbyLeader(
  cluster: LocalCluster,
  asked: LocalMember,
  other: (name: string) => boolean,
): Promise<LocalMember> {
  const name = await waitUntil(
    async () => {
      const rows = await clusterMembers(asked).catch(() => []);
      const leader = rows.find((row) => row.role === 'standby_leader' && row.state === 'running');
      if (!leader || !other(leader.name)) return undefined;
      const member = cluster.member(leader.name);
      return (await healthStatus(member, '/standby-leader')) === 200 ? leader.name : undefined;
    },
    {
      timeoutMs: 45_000,
      intervalMs: 200,
      what: `a running standby leader in /cluster answering /standby-leader 200 (logs in ${cluster.options.baseDir}/logs)`,
    },
  );
  return cluster.member(name);
}

async function write(member: LocalMember, tag: string): Promise<void> {
  await withClient(member, (client) =>
    client.query('INSERT INTO natroni_probe (member) VALUES ($1)', [tag]),
  );
}

async function hasRow(member: LocalMember, tag: string): Promise<boolean> {
  try {
    return await withClient(member, async (client) => {
      const result = await client.query('SELECT 1 FROM natroni_probe WHERE member = $1', [tag]);
      return result.rowCount === 1;
    });
  } catch {
    return false;
  }
}

async function waitForRowEverywhere(
  members: LocalMember[],
  tag: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitUntil(
    async () =>
      (await Promise.all(members.map((m) => hasRow(m, tag)))).every(Boolean) ? true : undefined,
    {
      timeoutMs,
      intervalMs: 200,
      what: `row ${tag} on ${members.map((member) => member.name).join(', ')}`,
    },
  );
}

test('a standby cluster replays an archive, then follows a remote primary, elects a new standby leader, and is promoted by configuration', async () => {
  scriptDir = await mkdtemp(join(tmpdir(), 'natroni-test-standby-'));
  await chmod(scriptDir, 0o755);
  // The archive and the log are written by the OS user that runs PostgreSQL.
  const archive = join(scriptDir, 'archive');
  const logDir = join(scriptDir, 'log');
  for (const dir of [archive, logDir]) {
    await mkdir(dir);
    await chmod(dir, 0o777);
  }
  source = await startE2eCluster('e2e-standby-source', undefined, {
    layout: 'per-node',
    memberCount: 1,
    memberSections: {
      postgresql: {
        parameters: {
          max_connections: 100,
          archive_mode: 'on',
          archive_command: `cp %p ${archive}/%f`,
        },
      },
    },
  });
  const remote = source.member(await waitForHealthyCluster(source, 60_000));
  await createProbeTable(source, remote.name);
  await write(remote, 'before');
  const copyScript = await writeCopyScript(scriptDir, logDir, remote.ports.postgres);

  standby = await startE2eCluster('e2e-standby', undefined, {
    layout: 'per-node',
    memberSections: { postgresql: { copy_standby: { command: copyScript, no_leader: true } } },
    dcs: {
      standby_cluster: {
        restore_command: `cp ${archive}/%f %p`,
        archive_cleanup_command: 'echo %r > /dev/null',
        create_replica_methods: ['copy_standby', 'basebackup'],
      },
    },
  });
  const cluster = standby;
  const first = await waitForStandbyLeader(cluster, cluster.members[0], () => true);
  const cascades = cluster.members.filter((member) => member !== first);
  await waitUntil(
    async () => {
      const streaming = await streamingReplicas(first);
      return cascades.every((member) => streaming.includes(member.name)) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `both cascades streaming from ${first.name}` },
  );
  expect(await primaries(cluster)).toEqual([]);

  // Every copy was made by standby_cluster's methods: the standby leader's without a source.
  const calls = (await readFile(join(logDir, 'copy.log'), 'utf8')).split('\n').filter(Boolean);
  expect(calls).toContain(
    `--no_leader=True --scope=e2e-standby --role=replica --datadir=${first.dataDir} --connstring=`,
  );
  for (const member of cascades)
    expect(calls).toContain(
      `--no_leader=True --scope=e2e-standby --role=replica --datadir=${member.dataDir} ` +
        `--connstring=host='127.0.0.1' port='${first.ports.postgres}' user='replicator' dbname='postgres'`,
    );
  // One cascade's first call failed: it fell back to basebackup.
  const created = (await readFile(join(logDir, 'created.log'), 'utf8')).split('\n').filter(Boolean);
  expect(created).toContain(first.dataDir);
  expect(cascades.filter((member) => created.includes(member.dataDir))).toHaveLength(1);
  for (const member of cascades) expect(existsSync(join(member.dataDir, 'PG_VERSION'))).toBe(true);

  for (const member of cluster.members)
    expect(
      await withClient(member, async (client) => {
        const result = await client.query<{ value: string }>(
          "SELECT setting AS value FROM pg_settings WHERE name = 'archive_cleanup_command'",
        );
        return result.rows[0]?.value;
      }),
    ).toBe('echo %r > /dev/null');

  // Fed by the archive alone: nothing streams from the remote primary.
  await write(remote, 'archived');
  await switchWal(remote);
  await waitForRowEverywhere(cluster.members, 'archived', 60_000);
  expect(await streamingReplicas(remote)).not.toContain(first.name);

  // Two hosts, the first dead: libpq moves on and keeps the primary (target_session_attrs=read-write).
  await patchConfig(first, {
    standby_cluster: { host: '127.0.0.2,127.0.0.1', port: remote.ports.postgres },
  });
  await waitUntil(
    async () => ((await streamingReplicas(remote)).includes(first.name) ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 200, what: `${first.name} streaming from the remote primary` },
  );
  for (const member of cascades) {
    expect(await healthStatus(member, '/standby-leader')).toBe(503);
    expect(await healthStatus(member, '/replica')).toBe(200);
  }
  expect(await healthStatus(first, '/primary')).toBe(503);
  await waitForRowEverywhere(cluster.members, 'before');
  await write(remote, 'streamed');
  await waitForRowEverywhere(cluster.members, 'streamed');

  // The standby leader's node lost to kill -9: another member takes the lease and follows the remote.
  const pid = await cluster.postmasterPid(first);
  first.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
  const survivors = cascades;
  const second = await waitForStandbyLeader(cluster, survivors[0], (name) => name !== first.name);
  const cascade = survivors.find((member) => member !== second)!;
  await write(remote, 'after-loss');
  await waitForRowEverywhere(survivors, 'after-loss');
  await waitUntil(
    async () => ((await streamingReplicas(second)).includes(cascade.name) ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 200, what: `${cascade.name} cascading from ${second.name}` },
  );
  expect(await isReplica(second)).toBe(true);
  const rows = await listed(second);
  expect(rows.find((row) => row['Member'] === second.name)?.['Role']).toBe('Standby Leader');
  expect(rows.find((row) => row['Member'] === cascade.name)?.['Role']).toBe('Replica');

  // Promoted by configuration: without standby_cluster the lease holder becomes a real primary.
  await patchConfig(second, { standby_cluster: null });
  await waitUntil(async () => ((await isPrimary(second)) ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: `${second.name} promoted once standby_cluster is gone`,
  });
  await write(second, 'promoted');
  await waitForRowEverywhere([cascade], 'promoted');
  expect(await hasRow(remote, 'promoted')).toBe(false);
  const promoted = await clusterMembers(second);
  expect(promoted.find((row) => row.name === second.name)?.role).toBe('leader');
  expect(await healthStatus(second, '/primary')).toBe(200);
  expect(await healthStatus(second, '/standby-leader')).toBe(503);
}, 240_000);
