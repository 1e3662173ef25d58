import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBinDir, type LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { withClient } from '../support/postgres-probe.ts';

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
 * the member it is given with pg_basebackup on later calls.
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
        create_replica_methods: ['clone_script', 'basebackup'],
        clone_script: { command: join(scriptDir, 'clone-replica.sh'), mode: 'e2e' },
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
}, 150_000);
