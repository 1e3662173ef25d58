import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { removeLeftovers, writeIfChanged } from '../../scripts/bundle-output.ts';
import { codeCacheFile } from '../../scripts/code-cache-file.ts';

/** How the build writes dist/bundles: unchanged bundles keep their code cache, older caches go. */
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'natroni-test-bundle-output-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LONG_AGO = new Date('2026-01-01T00:00:00Z');

describe('writeIfChanged', () => {
  it('creates the file and its directory', async () => {
    const file = join(dir, 'app', 'app.cjs');
    await writeIfChanged(file, 'one');
    expect(await readFile(file, 'utf8')).toBe('one');
  });

  it('leaves a file that holds the same text untouched, and replaces one that does not', async () => {
    const file = join(dir, 'app.cjs');
    await writeFile(file, 'one');
    await utimes(file, LONG_AGO, LONG_AGO);
    await writeIfChanged(file, 'one');
    expect((await stat(file)).mtime).toEqual(LONG_AGO);
    await writeIfChanged(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await stat(file)).mtime).not.toEqual(LONG_AGO);
    expect(await readdir(dir)).toEqual(['app.cjs']);
  });
});

describe('removeLeftovers', () => {
  it("keeps each app's bundle and current cache, and removes older caches and unknown entries", async () => {
    const appFile = join(dir, 'election', 'app.cjs');
    await writeIfChanged(appFile, 'the election');
    const current = codeCacheFile(appFile);
    await mkdir(join(dir, 'election', 'code-cache'));
    await writeFile(current, 'cache');
    await writeFile(join(dir, 'election', 'code-cache', '12-3456.bin'), 'an older cache');
    await writeFile(join(dir, 'natronictl.cjs'), 'the command');
    await mkdir(join(dir, 'a-service-gone-since'));
    await writeFile(join(dir, 'stray.txt'), '');

    await removeLeftovers(dir, ['election'], ['natronictl.cjs']);

    expect((await readdir(dir)).sort()).toEqual(['election', 'natronictl.cjs']);
    expect(await readdir(join(dir, 'election', 'code-cache'))).toEqual([basename(current)]);
    expect(await readFile(appFile, 'utf8')).toBe('the election');
  });
});
