import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dataDirFileSystems,
  syncDataDir,
} from '../../apps/node-agent/src/postgres/data-dir-sync.ts';

let workDir: string;
let dataDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'natroni-test-sync-'));
  dataDir = join(workDir, 'data');
  await mkdir(join(dataDir, 'pg_tblspc'), { recursive: true });
  await mkdir(join(workDir, 'wal'));
  await mkdir(join(workDir, 'tablespace'));
  await symlink(join(workDir, 'wal'), join(dataDir, 'pg_wal'));
  await symlink(join(workDir, 'tablespace'), join(dataDir, 'pg_tblspc', '16384'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

test('a data directory spans itself, its WAL directory and each tablespace', async () => {
  expect(await dataDirFileSystems(dataDir)).toEqual([
    dataDir,
    join(dataDir, 'pg_wal'),
    join(dataDir, 'pg_tblspc', '16384'),
  ]);
});

test('syncing a data directory through its links succeeds', async () => {
  await expect(syncDataDir(dataDir)).resolves.toBeUndefined();
});

test('a data directory that is missing fails with the path in the message', async () => {
  const missing = join(workDir, 'missing');
  await expect(syncDataDir(missing)).rejects.toThrow(`sync --file-system ${missing} failed`);
});
