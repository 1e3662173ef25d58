/**
 * The entry point of a bundled service, dist/bundles/<app>/main.cjs: it runs app.cjs beside it through
 * V8's code cache.
 *
 * Why: even as one file, a service spends about 0.3 s of CPU parsing and compiling its 6 MB of
 * JavaScript before it can log a line, and a local cluster starts eight services on two cores. V8 can
 * keep the compiled code of everything that ran; the next start of the same bundle skips that work and
 * boots in about 60% of the CPU. Node 22 does this itself (module.enableCompileCache); Node 20 does
 * not, hence this file.
 *
 * The cache is named after the bundle's size and modification time (scripts/code-cache-file.ts). It is
 * written once, a few seconds after the start or at a clean exit (code 0) if that comes first, so that
 * it holds the code the service's boot compiled: a start that fails early, on bad settings, would
 * leave a partial cache that every later start accepts and none rewrites. A directory the service may
 * not write (a read-only image) only costs the speed-up. The script has no dynamic-import loader: the
 * only `import()` calls left in a bundle are NestJS's probes for optional packages natroni does not
 * install, which fail either way.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { codeCacheFile } from './code-cache-file.ts';

const CACHE_WRITE_DELAY_MS = 5_000;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file: string, data: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    // Several members start the same bundle at once: each writes its own file and renames it in place.
    const temporary = `${file}.${process.pid}`;
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } catch {
    // Without a writable cache directory the service only starts as fast as without a cache.
  }
}

function runBundle(appFile: string): void {
  const source = readFileSync(appFile, 'utf8');
  const cacheFile = codeCacheFile(appFile);
  const cachedData = readCache(cacheFile);
  const script = new Script(Module.wrap(source), {
    filename: appFile,
    cachedData,
  });
  const appModule = new Module(appFile);
  appModule.filename = appFile;
  const appRequire = createRequire(appFile);
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(
    appModule.exports,
    appModule.exports,
    appRequire,
    appModule,
    appFile,
    dirname(appFile),
  );
  if (cachedData === undefined || script.cachedDataRejected) {
    let written = false;
    const writeOnce = () => {
      if (written) return;
      written = true;
      writeCache(cacheFile, script.createCachedData());
    };
    setTimeout(writeOnce, CACHE_WRITE_DELAY_MS).unref();
    process.once('exit', (code) => {
      if (code === 0) writeOnce();
    });
  }
}

runBundle(join(__dirname, 'app.cjs'));
