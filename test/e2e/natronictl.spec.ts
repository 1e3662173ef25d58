import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import {
  natronictl,
  startNatronictl,
  type NatronictlResult,
} from '../support/natronictl-runner.ts';
import { primaries } from '../support/postgres-probe.ts';

/** Every natronictl command once, against a live local cluster, through the built CLI. */
let cluster: LocalCluster;
let gateway: string;
const credentials = { NATRONI_RESTAPI_USERNAME: 'admin', NATRONI_RESTAPI_PASSWORD: 'admin' };

beforeAll(async () => {
  cluster = await startE2eCluster('e2e-natronictl');
  gateway = `http://127.0.0.1:${cluster.members[0].ports.gateway}`;
  await waitForHealthyCluster(cluster, 60_000);
}, 120_000);

afterAll(async () => {
  await disposeE2eCluster(cluster);
});

function ctl(...args: string[]): Promise<NatronictlResult> {
  return natronictl(['--gateway', gateway, ...args], credentials);
}

function explained(result: NatronictlResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

async function expectExit(result: NatronictlResult, code: number): Promise<NatronictlResult> {
  if (result.code !== code) throw new Error(`expected exit ${code}, got ${explained(result)}`);
  return result;
}

type Row = Record<string, string | number>;

async function listRows(): Promise<Row[]> {
  return JSON.parse((await expectExit(await ctl('list', '--format', 'json'), 0)).stdout) as Row[];
}

/** The leader as natronictl list reports it, once it agrees with PostgreSQL and all are streaming. */
async function settledLeader(): Promise<string> {
  const primary = await waitForHealthyCluster(cluster, 60_000);
  return waitUntil(
    async () => {
      const rows = await listRows();
      const leaders = rows.filter((row) => row['Role'] === 'Leader');
      const streaming = rows.filter((row) => row['State'] === 'streaming');
      return leaders.length === 1 && leaders[0]?.['Member'] === primary && streaming.length === 2
        ? primary
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `natronictl list to show ${primary} leading` },
  );
}

function replicaOf(leader: string): string {
  const replica = cluster.members.find((member) => member.name !== leader);
  if (!replica) throw new Error('no replica');
  return replica.name;
}

test('list shows every member with host, role, state, timeline and lag', async () => {
  const leader = await settledLeader();
  const pretty = await expectExit(await ctl('list'), 0);
  const lines = pretty.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^\+ Cluster: e2e-natronictl -+\+/);
  expect(lines[1]).toMatch(/^\| Member +\| Host +\| Role +\| State +\| TL \| Lag in MB \|$/);
  for (const member of cluster.members) expect(pretty.stdout).toContain(`| ${member.name} `);
  const rows = await listRows();
  expect(rows.map((row) => row['Member'])).toEqual(['pg1', 'pg2', 'pg3']);
  for (const row of rows) {
    const member = cluster.member(String(row['Member']));
    expect(row['Host']).toBe(`127.0.0.1:${member.ports.postgres}`);
    expect(row['Role']).toBe(row['Member'] === leader ? 'Leader' : 'Replica');
    expect(row['TL']).toEqual(expect.any(Number));
  }
  const yaml = await expectExit(await ctl('-f', 'yaml', 'list'), 0);
  expect(yaml.stdout).toContain(`Member: ${leader}`);
});

test('topology shows the leader first and the replicas under it', async () => {
  const leader = await settledLeader();
  const rows = JSON.parse(
    (await expectExit(await ctl('topology', '--format', 'json'), 0)).stdout,
  ) as Row[];
  expect(rows[0]?.['Member']).toBe(leader);
  expect(rows.slice(1).map((row) => row['Member'])).toEqual(
    cluster.members
      .map((member) => member.name)
      .filter((name) => name !== leader)
      .map((name) => `+ ${name}`),
  );
});

test('show-config prints the dynamic configuration as YAML or JSON', async () => {
  const yaml = await expectExit(await ctl('show-config'), 0);
  expect(yaml.stdout).toMatch(/^ttl: \d+$/m);
  const json = JSON.parse((await expectExit(await ctl('show-config', '-f', 'json'), 0)).stdout);
  expect(json).toMatchObject({ loop_wait: 1 });
});

test('edit-config refuses to run unconfirmed without a terminal', async () => {
  const result = await expectExit(
    await ctl('edit-config', '--set', 'postgresql.parameters.work_mem=8MB'),
    4,
  );
  expect(result.stderr).toContain('--force');
  const config = JSON.parse((await ctl('show-config', '-f', 'json')).stdout);
  expect(config.postgresql?.parameters?.work_mem).toBeUndefined();
});

test('edit-config --set, --pg and --apply change the configuration', async () => {
  const patchFile = join(cluster.options.baseDir, 'patch.yml');
  await writeFile(patchFile, 'maximum_lag_on_failover: 2097152\n');
  const edited = await expectExit(
    await ctl(
      'edit-config',
      '--apply',
      patchFile,
      '--set',
      'postgresql.parameters.work_mem=8MB',
      '--pg',
      'max_wal_senders=12',
      '--force',
    ),
    0,
  );
  expect(edited.stdout).toContain('+postgresql.parameters.work_mem: "8MB"');
  expect(edited.stdout).toContain('Configuration changed');
  const config = JSON.parse((await ctl('show-config', '-f', 'json')).stdout);
  expect(config).toMatchObject({
    maximum_lag_on_failover: 2097152,
    postgresql: { parameters: { work_mem: '8MB', max_wal_senders: 12 } },
  });
  const again = await expectExit(
    await ctl('edit-config', '--set', 'postgresql.parameters.work_mem=8MB'),
    0,
  );
  expect(again.stdout.trim()).toBe('Not changed');
  await expectExit(await ctl('edit-config', '--set', 'work_mem'), 2);
});

test('pause and resume toggle maintenance mode; pausing twice is refused', async () => {
  expect((await expectExit(await ctl('pause'), 0)).stdout).toContain('paused');
  await waitUntil(
    async () => ((await ctl('list')).stdout.includes('Maintenance mode: on') ? true : undefined),
    { timeoutMs: 10_000, intervalMs: 200, what: 'natronictl list to show maintenance mode' },
  );
  expect((await expectExit(await ctl('pause'), 1)).stderr).toContain('already paused');
  expect((await expectExit(await ctl('resume'), 0)).stdout).toContain('resumed');
  await waitUntil(
    async () => ((await ctl('list')).stdout.includes('Maintenance mode') ? undefined : true),
    { timeoutMs: 10_000, intervalMs: 200, what: 'natronictl list to leave maintenance mode' },
  );
  await expectExit(await ctl('resume'), 1);
});

test('reload and restart act on each member through its own listener', async () => {
  const leader = await settledLeader();
  const replica = replicaOf(leader);
  const reload = await expectExit(await ctl('reload', '--force'), 0);
  for (const member of cluster.members)
    expect(reload.stdout).toContain(`Success: reload on member ${member.name}`);
  const restart = await expectExit(await ctl('restart', replica, '--force'), 0);
  expect(restart.stdout).toContain(`Success: restart on member ${replica}`);
  const refused = await expectExit(
    await ctl('restart', replica, '--role', 'primary', '--force'),
    1,
  );
  expect(refused.stdout).toContain(`Failed: restart for member ${replica}, status code=503`);
  await expectExit(await ctl('restart', 'pg9', '--force'), 1);
  await settledLeader();
});

test('reinit rebuilds a replica and refuses the leader', async () => {
  const leader = await settledLeader();
  const replica = replicaOf(leader);
  const refused = await expectExit(await ctl('reinit', leader, '--force'), 1);
  expect(refused.stdout).toContain('I am the leader, can not reinitialize');
  const result = await expectExit(await ctl('reinit', replica, '--force'), 0);
  expect(result.stdout).toContain(`Success: reinitialize on member ${replica}`);
  await settledLeader();
}, 120_000);

test('switchover hands over to the candidate while events follows the event stream', async () => {
  const leader = await settledLeader();
  const candidate = replicaOf(leader);
  const events = startNatronictl(
    [
      '--gateway',
      gateway,
      'events',
      '--nats-servers',
      cluster.nats.url,
      '--format',
      'json',
      '--count',
      '1',
    ],
    credentials,
  );
  try {
    await events.stderrContains('following natroni.e2e-natronictl.events.>', 15_000);
    const switchover = await expectExit(
      await ctl('switchover', '--candidate', candidate, '--force'),
      0,
    );
    expect(switchover.stdout.trim()).toBe(`Successfully switched over to "${candidate}"`);
    const followed = await events.result;
    expect(followed.code).toBe(0);
    const event = JSON.parse(followed.stdout.trim().split('\n')[0] ?? '') as Row;
    expect(event).toMatchObject({ scope: 'e2e-natronictl', kind: expect.any(String) });
  } finally {
    events.kill();
  }
  expect(await settledLeader()).toBe(candidate);
  expect(await primaries(cluster)).toEqual([candidate]);
}, 120_000);

test('failover promotes the named member; history lists the timeline switches', async () => {
  const leader = await settledLeader();
  const candidate = replicaOf(leader);
  await expectExit(await ctl('failover', '--force'), 2);
  const failover = await expectExit(await ctl('failover', '--candidate', candidate, '--force'), 0);
  expect(failover.stdout).toMatch(new RegExp(`(failed|switched) over to "${candidate}"`, 'i'));
  expect(await settledLeader()).toBe(candidate);
  const history = await waitUntil(
    async () => {
      const rows = JSON.parse((await expectExit(await ctl('history', '-f', 'json'), 0)).stdout);
      if ((rows as Row[]).at(-1)?.['New Leader'] === candidate) return rows as Row[];
      const members = (await listRows()).map((row) => `${row['Member']} TL ${row['TL']}`);
      throw new Error(`history is ${JSON.stringify(rows)}; members: ${members.join(', ')}`);
    },
    { timeoutMs: 15_000, intervalMs: 250, what: `natronictl history to end with ${candidate}` },
  );
  expect(history.length).toBeGreaterThanOrEqual(2);
  expect(history.at(-1)).toMatchObject({ TL: expect.any(Number), 'New Leader': candidate });
  const pretty = await expectExit(await ctl('history'), 0);
  expect(pretty.stdout).toMatch(/\| TL \| +LSN +\| Reason/);
}, 120_000);

test('an unreachable gateway exits 3, a refused request 1, a bad command line 2', async () => {
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const unreachable = await natronictl(['--gateway', nowhere, 'list']);
  expect(unreachable.code).toBe(3);
  expect(unreachable.stderr).toContain('cannot reach');
  const unauthorized = await natronictl(['--gateway', gateway, 'pause']);
  expect(unauthorized.code).toBe(1);
  expect(unauthorized.stderr).toContain('401');
  expect((await ctl('no-such-command')).code).toBe(2);
  expect((await ctl('list', '--format', 'xml')).code).toBe(2);
});
