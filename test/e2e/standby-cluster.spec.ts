import { waitUntil, type LocalCluster, type LocalMember } from '../../libs/harness/src/index.ts';
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
 * the first. Its standby leader streams from the first's primary, its other members cascade from the
 * standby leader; losing the standby leader makes another member standby leader; removing
 * `standby_cluster` from its configuration promotes it.
 */
let source: LocalCluster | undefined;
let standby: LocalCluster | undefined;

const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

afterAll(async () => {
  await disposeE2eCluster(standby);
  await disposeE2eCluster(source);
});

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

async function waitForRowEverywhere(members: LocalMember[], tag: string): Promise<void> {
  await waitUntil(
    async () =>
      (await Promise.all(members.map((m) => hasRow(m, tag)))).every(Boolean) ? true : undefined,
    {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `row ${tag} on ${members.map((member) => member.name).join(', ')}`,
    },
  );
}

test('a standby cluster follows a remote primary, elects a new standby leader, and is promoted by configuration', async () => {
  source = await startE2eCluster('e2e-standby-source', undefined, {
    layout: 'per-node',
    memberCount: 1,
  });
  const remote = source.member(await waitForHealthyCluster(source, 60_000));
  await createProbeTable(source, remote.name);
  await write(remote, 'before');

  standby = await startE2eCluster('e2e-standby', undefined, {
    layout: 'per-node',
    dcs: { standby_cluster: { host: '127.0.0.1', port: remote.ports.postgres } },
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
  expect(await streamingReplicas(remote)).toContain(first.name);
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
  const response = await fetch(`http://127.0.0.1:${second.ports.restapi}/config`, {
    method: 'PATCH',
    headers: { authorization: AUTH },
    body: JSON.stringify({ standby_cluster: null }),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
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
}, 150_000);
