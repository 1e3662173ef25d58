import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The entry point of a bundled service (scripts/code-cached-main.ts, built to
 * dist/bundles/<app>/main.cjs) runs the app.cjs beside it and keeps V8's code cache of it. Here it runs
 * a small app of the test's own: the cache is written, used, and never runs the code of an older
 * app.cjs of the same length, which V8's own check of the cache would let through.
 */
const MAIN = resolve(__dirname, '../../dist/bundles/election/main.cjs');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'natroni-test-code-cache-'));
  await copyFile(MAIN, join(dir, 'main.cjs'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeApp(word: string, mtime: Date, more = ''): Promise<void> {
  const file = join(dir, 'app.cjs');
  await writeFile(
    file,
    `const path = require('node:path');\n` +
      `module.exports = 'exported';\n` +
      `console.log(JSON.stringify({ word: '${word}', file: __filename, dir: path.basename(__dirname), args: process.argv.slice(2) }));\n` +
      more,
  );
  await utimes(file, mtime, mtime);
}

function run(...args: string[]): { word: string; file: string; dir: string; args: string[] } {
  const result = spawnSync(process.execPath, [join(dir, 'main.cjs'), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.status !== 0) throw new Error(`main.cjs failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as ReturnType<typeof run>;
}

const cacheFiles = async () => readdir(join(dir, 'code-cache')).catch(() => [] as string[]);

describe('a bundled service entry point with a code cache', () => {
  it('runs app.cjs as a CommonJS module, with its own file name and the command-line arguments', async () => {
    await writeApp('alpha', new Date('2026-01-01T00:00:00Z'));
    expect(run('--flag', 'x')).toEqual({
      word: 'alpha',
      file: join(dir, 'app.cjs'),
      dir: dir.split('/').pop(),
      args: ['--flag', 'x'],
    });
  });

  it('writes the cache at exit and starts from it the next time', async () => {
    await writeApp('alpha', new Date('2026-01-01T00:00:00Z'));
    expect(await cacheFiles()).toEqual([]);
    run();
    const written = await cacheFiles();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\d+-\d+\.bin$/);
    expect(run().word).toBe('alpha');
    expect(await cacheFiles()).toEqual(written);
  });

  it('writes no cache when the app exits with a failure, and writes it at the next clean exit', async () => {
    await writeApp('alpha', new Date('2026-01-01T00:00:00Z'), 'process.exitCode = 1;');
    const failed = spawnSync(process.execPath, [join(dir, 'main.cjs')], { timeout: 20_000 });
    expect(failed.status).toBe(1);
    expect(await cacheFiles()).toEqual([]);
    await writeApp('alpha', new Date('2026-01-01T00:00:00Z'));
    run();
    expect(await cacheFiles()).toHaveLength(1);
  });

  it('never runs the cached code of an older app.cjs of the same length', async () => {
    await writeApp('alpha', new Date('2026-01-01T00:00:00Z'));
    run();
    await writeApp('omega', new Date('2026-01-02T00:00:00Z'));
    expect(run().word).toBe('omega');
  });

  it('starts without a cache when its directory cannot be written', async () => {
    await writeApp('alpha', new Date('2026-01-01T00:00:00Z'));
    await writeFile(join(dir, 'code-cache'), 'a file where the cache directory would be');
    expect(run().word).toBe('alpha');
    expect(run().word).toBe('alpha');
  });
});
