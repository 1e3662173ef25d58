import { chmod, writeFile } from 'node:fs/promises';
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
import { primaries, withClient } from '../support/postgres-probe.ts';

/**
 * natronictl run as patronictl is run, with command lines taken from Patroni's documentation,
 * against a live local cluster through the built CLI: output and exit codes.
 */
const SCOPE = 'e2e-natronictl';
let cluster: LocalCluster;
let gateway: string;
const credentials = { NATRONI_RESTAPI_USERNAME: 'admin', NATRONI_RESTAPI_PASSWORD: 'admin' };

beforeAll(async () => {
  cluster = await startE2eCluster(SCOPE);
  gateway = `http://127.0.0.1:${cluster.members[0].ports.gateway}`;
  await waitForHealthyCluster(cluster, 60_000);
}, 120_000);

afterAll(async () => {
  await disposeE2eCluster(cluster);
});

function ctl(args: readonly string[], input = '', env = {}): Promise<NatronictlResult> {
  return natronictl(['--gateway', gateway, ...args], { ...credentials, ...env }, 90_000, input);
}

function explained(result: NatronictlResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

function expectExit(result: NatronictlResult, code: number): NatronictlResult {
  if (result.code !== code) throw new Error(`expected exit ${code}, got ${explained(result)}`);
  return result;
}

type Row = Record<string, unknown>;

async function listRows(): Promise<Row[]> {
  return JSON.parse(expectExit(await ctl(['list', '-f', 'json']), 0).stdout) as Row[];
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

async function postmasterStart(member: string): Promise<number> {
  return withClient(cluster.member(member), async (client) => {
    const result = await client.query<{ at: Date }>('SELECT pg_postmaster_start_time() AS at');
    return result.rows[0]?.at.getTime() ?? 0;
  });
}

interface Invocation {
  readonly args: (leader: string, replica: string) => string[];
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly code: number;
  readonly stdout?: readonly (string | RegExp)[];
  readonly stderr?: readonly (string | RegExp)[];
}

/** libpq's variables, which `query` honours as psql does. */
const POSTGRES_LOGIN = { PGUSER: 'postgres', PGPASSWORD: 'postgres' };

const usage = (message: string) => ({
  code: 2,
  stderr: ['Usage: natronictl', `Error: ${message}`],
});

/** patronictl invocations from Patroni's documentation, and patronictl's answers to mistakes. */
const INVOCATIONS: Record<string, Invocation> = {
  list: {
    args: () => ['list'],
    code: 0,
    stdout: [
      new RegExp(`^\\+ Cluster: ${SCOPE} \\(\\d+\\) -+\\+`),
      /^\| Member +\| Host +\| Role +\| State +\| TL \| Receive LSN \| Lag \| Replay LSN \| Lag \|$/m,
      /\| Leader +\| running +\|/,
    ],
  },
  'list CLUSTER_NAME': { args: () => ['list', SCOPE], code: 0, stdout: [`Cluster: ${SCOPE} (`] },
  'list with another cluster': {
    args: () => ['list', 'batman'],
    code: 1,
    stderr: [`Error: this gateway serves cluster ${SCOPE}, not batman`],
  },
  'list -e -t': {
    args: () => ['list', '-e', '-t'],
    code: 0,
    stdout: [
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n/,
      '| Pending restart | Pending restart reason | Scheduled restart | Tags |',
    ],
  },
  'list -f tsv': {
    args: () => ['list', '-f', 'tsv'],
    code: 0,
    stdout: [
      /^Cluster\tMember\tHost\tRole\tState\tTL\tReceive LSN\tReceive Lag\tReplay LSN\tReplay Lag\n/,
    ],
  },
  'list -f yaml': { args: () => ['list', '-f', 'yaml'], code: 0, stdout: [`- Cluster: ${SCOPE}`] },
  topology: { args: () => ['topology'], code: 0, stdout: [/\| \+ pg\d +\|/] },
  'history -f json': { args: () => ['history', '-f', 'json'], code: 0, stdout: [/^\[/] },
  'show-config': { args: () => ['show-config'], code: 0, stdout: [/^loop_wait: 1$/m] },
  dsn: {
    args: () => ['dsn', SCOPE],
    code: 0,
    stdout: [/^host=127\.0\.0\.1 port=\d+\n$/],
  },
  'dsn --role replica --member': {
    args: (_leader, replica) => ['dsn', '-r', 'replica', '-m', replica],
    ...{ code: 1, stderr: ['Error: --role and --member are mutually exclusive options'] },
  },
  'query -c': {
    env: POSTGRES_LOGIN,
    args: () => ['query', SCOPE, '-c', 'SELECT 1 AS one, NULL AS nothing'],
    code: 0,
    stdout: ['one\tnothing\n1\tNone\n'],
  },
  'query -r replica': {
    env: POSTGRES_LOGIN,
    args: () => ['query', '-r', 'replica', '-c', 'SELECT pg_is_in_recovery()'],
    code: 0,
    stdout: ['pg_is_in_recovery\nTrue\n'],
  },
  'query a broken statement': {
    env: POSTGRES_LOGIN,
    args: () => ['query', '-c', 'SELECT nonsense'],
    code: 0,
    stdout: [/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\tERROR, SQLSTATE: 42703\n$/],
  },
  'query without SQL': {
    args: () => ['query'],
    code: 1,
    stderr: ['Error: You need to specify either --command or --file'],
  },
  version: { args: () => ['version'], code: 0, stdout: [/^natronictl version \d+\.\d+\.\d+\n$/] },
  'version CLUSTER_NAME': {
    args: () => ['version', SCOPE],
    code: 0,
    stdout: [/^pg1: natroni \d+\.\d+\.\d+ PostgreSQL 15\.\d+$/m],
  },
  'restart without CLUSTER_NAME': {
    args: () => ['restart'],
    ...usage("Missing argument 'CLUSTER_NAME'."),
  },
  'restart an unknown member': {
    args: () => ['restart', SCOPE, 'pg9', '--force'],
    code: 1,
    stderr: ["Error: No 'any' among provided members"],
  },
  'restart --role primary on a replica': {
    args: (_leader, replica) => ['restart', SCOPE, replica, '-r', 'primary', '--force'],
    code: 1,
    stderr: ["Error: No 'primary' among provided members"],
  },
  'restart at a malformed time': {
    args: (_leader, replica) => ['restart', SCOPE, replica, '--scheduled', 'soonish', '--force'],
    code: 1,
    stderr: [
      'Error: Unable to parse scheduled timestamp (soonish). It should be in an unambiguous format (e.g. ISO 8601)',
    ],
  },
  'restart in the past': {
    args: (_leader, replica) => [
      'restart',
      SCOPE,
      replica,
      '--scheduled',
      '2020-01-01T00:00+00:00',
      '--force',
    ],
    code: 0,
    stdout: [
      /Failed: restart for member pg\d, status code=422, \(Cannot schedule restart in the past\)/,
    ],
  },
  'reload unconfirmed': {
    args: () => ['reload', SCOPE],
    code: 1,
    stdout: ['Are you sure you want to reload members pg1, pg2, pg3? [y/N]: '],
    stderr: [/^Aborted!\n$/],
  },
  'reload confirmed on stdin': {
    args: () => ['reload', SCOPE],
    input: 'y\n',
    code: 0,
    stdout: ['Reload request received for member pg2 and will be processed within 1 seconds'],
  },
  'reload answered no': {
    args: () => ['reload', SCOPE, 'pg1'],
    input: 'n\n',
    code: 1,
    stderr: ['Error: Aborted reload'],
  },
  'flush without a scheduled switchover': {
    args: () => ['flush', SCOPE, 'switchover'],
    code: 0,
    stdout: ['No pending scheduled switchover'],
  },
  'flush of something else': {
    args: () => ['flush', SCOPE, 'everything'],
    ...usage(
      "Invalid value for '{restart|switchover}': 'everything' is not one of 'restart', 'switchover'.",
    ),
  },
  'switchover to an unknown candidate': {
    args: () => ['switchover', '--candidate', 'pg9', '--force'],
    code: 1,
    stderr: [`Error: Member pg9 does not exist in cluster ${SCOPE} or is tagged as nofailover`],
  },
  'switchover --primary naming a replica': {
    args: (_leader, replica) => ['switchover', SCOPE, '--primary', replica, '--force'],
    code: 1,
    stderr: [/Error: Member pg\d is not the leader of cluster e2e-natronictl/],
  },
  'switchover --master naming a replica': {
    args: (_leader, replica) => ['switchover', '--master', replica, '--force'],
    code: 1,
    stderr: ['is not the leader of cluster'],
  },
  'failover without a candidate': {
    args: () => ['failover', '--force'],
    code: 1,
    stderr: ['Error: Failover could be performed only to a specific candidate'],
  },
  'switchover to the leader': {
    args: (leader) => ['switchover', '--candidate', leader, '--force'],
    code: 1,
    stderr: [/Error: Member pg\d is already the leader of cluster e2e-natronictl/],
  },
  'remove with a wrong cluster name': {
    args: () => ['remove', SCOPE],
    input: 'batman\n',
    code: 1,
    stderr: ['Error: Cluster names specified do not match'],
  },
  'edit-config unconfirmed': {
    args: () => ['edit-config', '--set', 'postgresql.parameters.work_mem=8MB'],
    code: 1,
    stdout: ['+    work_mem: 8MB', 'Apply these changes? [y/N]: '],
    stderr: ['Aborted!'],
  },
  'edit-config --set without a value': {
    args: () => ['edit-config', '--set', 'work_mem', '--force'],
    code: 1,
    stderr: ['Error: Invalid parameter setting work_mem'],
  },
  'an unknown option': { args: () => ['list', '--no-such'], ...usage('No such option: --no-such') },
  'an unknown command': { args: () => ['frobnicate'], ...usage("No such command 'frobnicate'.") },
  'an unknown format': {
    args: () => ['list', '-f', 'xml'],
    ...usage(
      "Invalid value for '-f' / '--format': 'xml' is not one of 'pretty', 'tsv', 'json', 'yaml', 'yml'.",
    ),
  },
  'a missing configuration file': {
    args: () => ['-c', '/nonexistent/patroni.yml', 'list'],
    code: 1,
    stderr: [
      'Error: Provided config file /nonexistent/patroni.yml not existing or no read rights. Check the -c/--config-file parameter',
    ],
  },
};

function expectText(text: string, expected: string | RegExp, result: NatronictlResult): void {
  const found = typeof expected === 'string' ? text.includes(expected) : expected.test(text);
  if (!found) throw new Error(`expected ${String(expected)} in the output\n${explained(result)}`);
}

test.each(Object.entries(INVOCATIONS))('%s', async (_name, invocation) => {
  const leader = await settledLeader();
  const result = await ctl(
    invocation.args(leader, replicaOf(leader)),
    invocation.input,
    invocation.env,
  );
  expectExit(result, invocation.code);
  for (const expected of invocation.stdout ?? []) expectText(result.stdout, expected, result);
  for (const expected of invocation.stderr ?? []) expectText(result.stderr, expected, result);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

test("list -f json omits the leader's empty lag, as patronictl", async () => {
  const leader = await settledLeader();
  const rows = await listRows();
  expect(rows.map((row) => row['Member'])).toEqual(['pg1', 'pg2', 'pg3']);
  for (const row of rows) {
    const member = cluster.member(String(row['Member']));
    expect(row['Cluster']).toBe(SCOPE);
    expect(row['Host']).toBe(`127.0.0.1:${member.ports.postgres}`);
    expect(row['TL']).toEqual(expect.any(Number));
    if (row['Member'] === leader) {
      expect(row).not.toHaveProperty('Receive Lag');
      expect(row).not.toHaveProperty('Replay LSN');
    } else expect(row).toMatchObject({ Role: 'Replica', 'Replay Lag': expect.any(Number) });
  }
});

test('-c reads the gateway and credentials from a Patroni configuration file', async () => {
  const member = cluster.members[0]!;
  const file = join(cluster.options.baseDir, 'patronictl.yml');
  await writeFile(
    file,
    [
      `scope: ${SCOPE}`,
      'restapi:',
      `  listen: 0.0.0.0:${member.ports.restapi}`,
      'ctl:',
      '  authentication: {username: admin, password: admin}',
    ].join('\n'),
  );
  const listed = expectExit(await natronictl(['-c', file, 'list']), 0);
  expect(listed.stdout).toContain(`Cluster: ${SCOPE} (`);
  const config = expectExit(await natronictl(['-c', file, 'show-config', '-f', 'json']), 0);
  expect(JSON.parse(config.stdout)).toMatchObject({ loop_wait: 1 });
  const wrongScope = file.replace('.yml', '-other.yml');
  await writeFile(
    wrongScope,
    `scope: batman\nrestapi: {listen: 127.0.0.1:${member.ports.restapi}}\n`,
  );
  expect(expectExit(await natronictl(['-c', wrongScope, 'list']), 1).stderr).toContain(
    'not batman',
  );
});

test('scheduled restarts 30 days and a year ahead wait; flush cancels them', async () => {
  const leader = await settledLeader();
  const replica = replicaOf(leader);
  const started = await postmasterStart(replica);
  const day = 86_400_000;
  for (const [member, ahead] of [
    [replica, 30 * day],
    [leader, 365 * day],
  ] as const) {
    const at = new Date(Date.now() + ahead).toISOString().replace('Z', '+00:00');
    const result = expectExit(
      await ctl(['restart', SCOPE, member, '--scheduled', at, '--force']),
      0,
    );
    expect(result.stdout).toContain(`Success: restart scheduled on member ${member}`);
    const again = expectExit(await ctl(['restart', SCOPE, member, '--scheduled', at]), 1);
    expect(again.stderr).toBe('Aborted!\n');
  }
  const rows = await waitUntil(
    async () => {
      const listed = await listRows();
      return listed.filter((row) => row['Scheduled restart']).length === 2 ? listed : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 200, what: 'both scheduled restarts in natronictl list' },
  );
  expect(rows.find((row) => row['Member'] === replica)?.['Scheduled restart']).toMatch(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/,
  );
  const pretty = expectExit(await ctl(['list']), 0);
  expect(pretty.stdout).toContain('| Scheduled restart');
  // A timer handed more than 2^31 ms fires at once: the restarts must not have happened.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await postmasterStart(replica)).toBe(started);
  const flushed = expectExit(await ctl(['flush', SCOPE, 'restart', '--force']), 0);
  expect(flushed.stdout).toContain(`Success: flush scheduled restart for member ${replica}`);
  expect(flushed.stdout).toContain(`Success: flush scheduled restart for member ${leader}`);
  await waitUntil(
    async () => ((await listRows()).some((row) => row['Scheduled restart']) ? undefined : true),
    { timeoutMs: 10_000, intervalMs: 200, what: 'the flushed restarts to leave natronictl list' },
  );
  expect(await postmasterStart(replica)).toBe(started);
}, 90_000);

test('a scheduled restart survives a restart of its agent and runs at its time', async () => {
  const leader = await settledLeader();
  const replica = replicaOf(leader);
  const dueAt = Date.now() + 40_000;
  const at = new Date(dueAt).toISOString().replace('Z', '+00:00');
  expectExit(await ctl(['restart', SCOPE, replica, '--scheduled', at, '--force']), 0);
  const member = cluster.member(replica);
  await member.agent.stop('SIGTERM', 15_000);
  await cluster.restart(member, 'agent');
  const scheduled = await waitUntil(
    async () =>
      (await listRows()).find((row) => row['Member'] === replica)?.['Scheduled restart'] as
        string | undefined,
    { timeoutMs: 15_000, intervalMs: 200, what: `${replica}'s restart scheduled again` },
  );
  expect(Date.parse(scheduled)).toBe(Date.parse(at));
  const restartedBefore = await waitUntil(() => postmasterStart(replica).catch(() => undefined), {
    timeoutMs: 15_000,
    intervalMs: 200,
    what: `${replica}'s PostgreSQL after its agent restart`,
  });
  expect(restartedBefore).toBeLessThan(dueAt);
  const restartedAt = await waitUntil(
    async () => {
      const start = await postmasterStart(replica).catch(() => undefined);
      return start !== undefined && start > restartedBefore ? start : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `the scheduled restart of ${replica}` },
  );
  expect(restartedAt).toBeGreaterThanOrEqual(dueAt);
  await settledLeader();
}, 120_000);

test('a scheduled switchover shows under list and flush deletes it', async () => {
  const leader = await settledLeader();
  const candidate = replicaOf(leader);
  const at = new Date(Date.now() + 86_400_000).toISOString().replace('Z', '+00:00');
  const scheduled = expectExit(
    await ctl(['switchover', SCOPE, '--candidate', candidate, '--scheduled', at, '--force']),
    0,
  );
  expect(scheduled.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} Switchover scheduled$/m);
  await waitUntil(
    async () =>
      (await ctl(['list'])).stdout.includes(' Switchover scheduled at: ') ? true : undefined,
    { timeoutMs: 10_000, intervalMs: 200, what: 'the scheduled switchover under list' },
  );
  const flushed = expectExit(await ctl(['flush', SCOPE, 'switchover']), 0);
  expect(flushed.stdout.trim()).toMatch(/^Success: /);
  expect(await settledLeader()).toBe(leader);
}, 60_000);

test('edit-config: $EDITOR, a unified diff, and --replace', async () => {
  const editor = join(cluster.options.baseDir, 'editor.sh');
  await writeFile(
    editor,
    '#!/bin/sh\nsed -i "s/^maximum_lag_on_failover: .*/maximum_lag_on_failover: 2097152/" "$1"\n',
  );
  await chmod(editor, 0o755);
  const edited = expectExit(await ctl(['edit-config'], 'y\n', { EDITOR: editor }), 0);
  expect(edited.stdout).toMatch(/^--- \n\+\+\+ \n@@ /m);
  expect(edited.stdout).toContain(
    '-maximum_lag_on_failover: 1048576\n+maximum_lag_on_failover: 2097152',
  );
  expect(edited.stdout).toContain('Configuration changed');
  const shown = JSON.parse(expectExit(await ctl(['show-config', '-f', 'json']), 0).stdout) as Row;
  expect(shown['maximum_lag_on_failover']).toBe(2097152);
  const unchanged = expectExit(await ctl(['edit-config', '--set', 'loop_wait=1']), 0);
  expect(unchanged.stdout.trim()).toBe('Not changed');
  const replacement = join(cluster.options.baseDir, 'replacement.yml');
  await writeFile(replacement, JSON.stringify({ ...shown, maximum_lag_on_failover: 1048576 }));
  const replaced = expectExit(
    await ctl(['edit-config', '--replace', replacement, '-q', '--force']),
    0,
  );
  expect(replaced.stdout.trim()).toBe('Configuration changed');
  const after = JSON.parse(expectExit(await ctl(['show-config', '-f', 'json']), 0).stdout) as Row;
  expect(after['maximum_lag_on_failover']).toBe(1048576);
});

test('pause --wait and resume --wait; pausing twice is refused', async () => {
  const paused = expectExit(await ctl(['pause', SCOPE, '--wait']), 0);
  expect(paused.stdout).toContain(
    "'pause' request sent, waiting until it is recognized by all nodes",
  );
  expect(paused.stdout).toContain('Success: cluster management is paused');
  expect(expectExit(await ctl(['list']), 0).stdout).toContain(' Maintenance mode: on');
  expect(expectExit(await ctl(['pause']), 1).stderr).toBe('Error: Cluster is already paused\n');
  const resumed = expectExit(await ctl(['resume', '--wait']), 0);
  expect(resumed.stdout).toContain('Success: cluster management is resumed');
  expect(expectExit(await ctl(['resume']), 1).stderr).toBe('Error: Cluster is not paused\n');
}, 60_000);

test('-w refreshes list until interrupted', async () => {
  const run = startNatronictl(['--gateway', gateway, 'list', '-t', '-w', '0.5'], credentials);
  try {
    await run.stdoutSatisfies(
      (stdout) => (stdout.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/gm) ?? []).length >= 3,
      'three rounds of natronictl list -w 0.5',
      15_000,
    );
  } finally {
    run.kill();
  }
});

test('switchover answered on stdin, with events following the stream', async () => {
  const leader = await settledLeader();
  const candidate = replicaOf(leader);
  const events = startNatronictl(
    [
      '--gateway',
      gateway,
      'events',
      '--nats-servers',
      cluster.nats.url,
      '-f',
      'json',
      '--count',
      '1',
    ],
    credentials,
  );
  try {
    await events.stderrContains(`following natroni.${SCOPE}.events.>`, 15_000);
    // Primary [leader], Candidate, When, and the confirmation, as patronictl asks them.
    const switchover = expectExit(await ctl(['switchover', SCOPE], `\n${candidate}\nnow\ny\n`), 0);
    expect(switchover.stdout).toContain('Current cluster topology');
    expect(switchover.stdout).toContain(`Primary [${leader}]: `);
    expect(switchover.stdout).toContain(
      `Are you sure you want to switchover cluster ${SCOPE}, demoting current leader ${leader}? [y/N]: `,
    );
    expect(switchover.stdout).toMatch(
      new RegExp(
        // Answers read from a pipe are not echoed, so the outcome follows the last question.
        `(^|\\? \\[y/N\\]: )\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} Successfully switched over to "${candidate}"$`,
        'm',
      ),
    );
    const followed = await events.result;
    expect(followed.code).toBe(0);
    const event = JSON.parse(followed.stdout.trim().split('\n')[0] ?? '') as Row;
    expect(event).toMatchObject({ scope: SCOPE, kind: expect.any(String) });
  } finally {
    events.kill();
  }
  expect(await settledLeader()).toBe(candidate);
  expect(await primaries(cluster)).toEqual([candidate]);
}, 120_000);

test('failover promotes the named member; history lists the timeline switches', async () => {
  const leader = await settledLeader();
  const candidate = replicaOf(leader);
  const failover = expectExit(
    await ctl(['failover', SCOPE, '--candidate', candidate, '--force']),
    0,
  );
  expect(failover.stdout).toMatch(new RegExp(`(failed|switched) over to "${candidate}"`, 'i'));
  expect(await settledLeader()).toBe(candidate);
  const history = await waitUntil(
    async () => {
      const rows = JSON.parse(expectExit(await ctl(['history', '-f', 'json']), 0).stdout) as Row[];
      return rows.at(-1)?.['New Leader'] === candidate ? rows : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250, what: `natronictl history to end with ${candidate}` },
  );
  expect(history.length).toBeGreaterThanOrEqual(2);
  for (const row of history)
    expect(row['Timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  const pretty = expectExit(await ctl(['history']), 0);
  expect(pretty.stdout).toMatch(/\| TL \| +LSN \| Reason/);
}, 120_000);

test('reinit --wait rebuilds a replica; the leader is refused', async () => {
  const leader = await settledLeader();
  const replica = replicaOf(leader);
  const refused = expectExit(await ctl(['reinit', SCOPE, leader, '--force']), 1);
  expect(refused.stderr).toContain("Error: No 'replica' among provided members");
  const result = expectExit(await ctl(['reinit', SCOPE, replica, '--force', '--wait']), 0);
  expect(result.stdout).toContain(`Success: reinitialize for member ${replica}`);
  expect(result.stdout).toContain(`Reinitialize is completed on: ${replica}`);
  await settledLeader();
}, 120_000);

test('an unreachable gateway fails with exit 1; a refused pause says why', async () => {
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const unreachable = await natronictl(['--gateway', nowhere, 'list']);
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(/^Error: cannot reach /);
  const unauthorized = await natronictl(['--gateway', gateway, 'pause']);
  expect(unauthorized.stdout).toContain('Failed: pause cluster management status code=401');
});
