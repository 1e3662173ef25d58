import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  postgresBinDir,
  waitUntil,
  type LocalCluster,
  type LocalMember,
} from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { isPrimary, withClient } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-methods';

let cluster: LocalCluster | undefined;
let scriptDir: string | undefined;

afterAll(async () => {
  await disposeE2eCluster(cluster);
  if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
});

/**
 * The scripts stand in for a backup tool (pgBackRest, WAL-G): the bootstrap one creates a cluster with
 * initdb as a restore would; the replica one fails on its first call, leaving a file behind, and copies
 * the member it is given with pg_basebackup on later calls; the backup one copies a running member
 * into the backup directory, from which the restore one (a no_leader method) creates a replica.
 */
async function writeScripts(dir: string, logDir: string): Promise<void> {
  const bin = postgresBinDir();
  const datadirOf = `for arg; do case "$arg" in --datadir=*) datadir="\${arg#--datadir=}";; --connstring=*) conn="\${arg#--connstring=}";; esac; done`;
  const scripts = {
    'restore-cluster.sh': [
      'set -e',
      `echo "$*" >> ${logDir}/bootstrap.log`,
      datadirOf,
      // Not mktemp: TMPDIR, which the agent passes on, is the test run's directory, not writable here.
      `pw=${logDir}/pwfile-$$`,
      'echo postgres > "$pw"',
      `${bin}/initdb -D "$datadir" -U postgres --pwfile="$pw" -E UTF8 --no-sync > /dev/null`,
      'rm -f "$pw"',
    ],
    'clone-replica.sh': [
      `echo "$*" >> ${logDir}/replica-method.log`,
      datadirOf,
      `if mkdir ${logDir}/first-call 2> /dev/null; then`,
      '  touch "$datadir/left-behind"',
      '  echo "no backup to restore" >&2',
      '  exit 3',
      'fi',
      `${bin}/pg_basebackup -D "$datadir" -X stream -d "$conn" --checkpoint=fast --no-sync || exit 1`,
      'touch "$datadir/created-by-script"',
    ],
    'post-init.sh': [`echo "$1" > ${logDir}/post-init.log`],
    'take-backup.sh': [
      'set -e',
      `PGPASSWORD=replicator ${bin}/pg_basebackup -D ${dir}/backup -X stream --checkpoint=fast --no-sync -d "host=127.0.0.1 port=$1 user=replicator"`,
      // The restore runs as the OS user that runs PostgreSQL.
      `chmod -R a+rX ${dir}/backup`,
    ],
    'restore-backup.sh': [
      'set -e',
      `echo "$*" >> ${logDir}/restore.log`,
      datadirOf,
      `cp -R ${dir}/backup/. "$datadir"`,
    ],
  };
  for (const [name, lines] of Object.entries(scripts)) {
    await writeFile(join(dir, name), `#!/bin/sh\n${lines.join('\n')}\n`, { mode: 0o755 });
  }
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
}

test('a custom bootstrap with recovery settings, post_init, and replicas created by a script or, when it fails, by basebackup', async () => {
  scriptDir = await mkdtemp(join(tmpdir(), 'natroni-test-methods-'));
  await chmod(scriptDir, 0o755);
  const logDir = join(scriptDir, 'log');
  await mkdir(logDir);
  // The methods run as the OS user that runs PostgreSQL.
  await chmod(logDir, 0o777);
  await writeScripts(scriptDir, logDir);

  cluster = await startE2eCluster(SCOPE, undefined, {
    memberSections: {
      postgresql: {
        // restore_backup runs only without a leader: the others come first and one of them succeeds.
        create_replica_methods: ['clone_script', 'basebackup', 'restore_backup'],
        clone_script: { command: join(scriptDir, 'clone-replica.sh'), mode: 'e2e' },
        restore_backup: { command: join(scriptDir, 'restore-backup.sh'), no_leader: true },
        basebackup: { label: 'natroni-e2e' },
      },
      bootstrap: {
        method: 'restore',
        restore: {
          command: join(scriptDir, 'restore-cluster.sh'),
          label: 'nightly',
          recovery_conf: { restore_command: 'false', recovery_target_timeline: 'latest' },
        },
        post_init: join(scriptDir, 'post-init.sh'),
        // A restore of a real backup takes longer than the default bound of 120 s.
        timeout: 3600,
      },
    },
  });
  const primaryName = await waitForHealthyCluster(cluster, 60_000);
  const primary = cluster.member(primaryName);
  const replicas = cluster.members.filter((member) => member !== primary);

  expect(await lines(join(logDir, 'bootstrap.log'))).toEqual([
    `--scope=${SCOPE} --datadir=${primary.dataDir} --label=nightly`,
  ]);
  // The archive recovery that recovery_conf asked for ended on a new timeline.
  const timeline = await withClient(primary, async (client) => {
    const result = await client.query<{ tli: string }>(
      'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli',
    );
    return result.rows[0]?.tli;
  });
  expect(timeline).toBe('00000002');
  expect(await readFile(join(logDir, 'post-init.log'), 'utf8')).toContain(
    `@127.0.0.1:${primary.ports.postgres}/postgres`,
  );

  const calls = await lines(join(logDir, 'replica-method.log'));
  expect(calls.sort()).toEqual(
    replicas
      .map(
        (replica) =>
          `--mode=e2e --scope=${SCOPE} --role=replica --datadir=${replica.dataDir} ` +
          `--connstring=host='127.0.0.1' port='${primary.ports.postgres}' user='replicator' dbname='postgres'`,
      )
      .sort(),
  );
  const byScript = replicas.filter((replica) =>
    existsSync(join(replica.dataDir, 'created-by-script')),
  );
  expect(byScript).toHaveLength(1);
  for (const replica of replicas)
    expect(existsSync(join(replica.dataDir, 'left-behind'))).toBe(false);
  // The other one fell back to basebackup, with its options.
  const byBasebackup = replicas.find((replica) => !byScript.includes(replica));
  expect(await readFile(join(byBasebackup?.dataDir ?? '', 'backup_label.old'), 'utf8')).toContain(
    'LABEL: natroni-e2e',
  );
  // With a leader, the no_leader method never ran.
  expect(existsSync(join(logDir, 'restore.log'))).toBe(false);
}, 150_000);

test('bootstrap (without leader): every data directory lost, a member restores the backup with its no_leader method, leads, and the others clone from it', async () => {
  if (!cluster || !scriptDir) throw new Error('the first test did not start the cluster');
  const local = cluster;
  const logDir = join(scriptDir, 'log');
  const primary = local.member(await waitForHealthyCluster(local, 30_000));
  await withClient(primary, async (client) => {
    await client.query('CREATE TABLE restored (note text)');
    await client.query("INSERT INTO restored VALUES ('before the backup')");
  });
  await promisify(execFile)(join(scriptDir, 'take-backup.sh'), [String(primary.ports.postgres)]);
  await withClient(primary, (client) => client.query("INSERT INTO restored VALUES ('after')"));

  // The whole cluster stops (the primary's agent frees the lease) and every data directory is lost.
  const stopAll = (services: LocalMember['agent'][]) =>
    Promise.all(services.map((service) => service.stop('SIGTERM', 15_000)));
  await stopAll(local.members.map((member) => member.election));
  await stopAll(local.members.map((member) => member.agent));
  for (const member of local.members) await rm(member.dataDir, { recursive: true, force: true });
  const replicaCalls = (await lines(join(logDir, 'replica-method.log'))).length;

  // A former replica comes back first: with no leader and nobody to copy, it restores the backup.
  const restorer = local.members.find((member) => member !== primary) ?? primary;
  await local.restart(restorer, 'agent');
  await local.restart(restorer, 'election');
  await waitUntil(async () => ((await isPrimary(restorer)) ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `${restorer.name} to restore the backup and lead (logs in ${local.options.baseDir}/logs)`,
  });
  expect(await lines(join(logDir, 'restore.log'))).toEqual([
    `--no_leader=True --scope=${SCOPE} --role=replica --datadir=${restorer.dataDir} --connstring=`,
  ]);
  // The methods that need a leader were skipped.
  expect(await lines(join(logDir, 'replica-method.log'))).toHaveLength(replicaCalls);
  const electionLog = await readFile(
    join(local.options.baseDir, 'logs', `${restorer.name}-election.log`),
    'utf8',
  );
  expect(electionLog).toContain('trying to bootstrap (without leader)');
  expect(electionLog).toContain('bootstrapped (without leader)');
  expect(await notes(restorer)).toEqual(['before the backup']);

  for (const member of local.members.filter((other) => other !== restorer)) {
    await local.restart(member, 'agent');
    await local.restart(member, 'election');
  }
  expect(await waitForHealthyCluster(local, 60_000)).toBe(restorer.name);
  for (const member of local.members) expect(await notes(member)).toEqual(['before the backup']);
  // The others had a leader: they cloned it with the first method, and restored nothing.
  expect(await lines(join(logDir, 'restore.log'))).toHaveLength(1);
  expect((await lines(join(logDir, 'replica-method.log'))).slice(replicaCalls).sort()).toEqual(
    local.members
      .filter((member) => member !== restorer)
      .map(
        (member) =>
          `--mode=e2e --scope=${SCOPE} --role=replica --datadir=${member.dataDir} ` +
          `--connstring=host='127.0.0.1' port='${restorer.ports.postgres}' user='replicator' dbname='postgres'`,
      )
      .sort(),
  );
}, 150_000);

async function notes(member: LocalMember): Promise<string[]> {
  return withClient(member, async (client) => {
    const result = await client.query<{ note: string }>('SELECT note FROM restored ORDER BY note');
    return result.rows.map((row) => row.note);
  });
}
