/**
 * Bundles each built service into dist/bundles/<app>/: app.cjs, the whole service as one file, and
 * main.cjs, its entry point, which turns on Node's compile cache before it loads app.cjs.
 * natronictl, a short-lived command, becomes the single file dist/bundles/natronictl.cjs.
 *
 * Why: a service run from tsc's output resolves and reads some 1,500 files before it logs a line, about
 * 1 s of CPU per process; a cluster starts eight of them on two cores, and that load was most of the
 * time from start to a writable primary. One file halves it. The input is tsc's output, which already
 * carries the decorator metadata NestJS needs, so esbuild only joins files and changes nothing else.
 *
 *   node dist/scripts/bundle-services.js      (npm run build runs it after tsc)
 */
import { build, type BuildOptions } from 'esbuild';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { escapeNonAscii } from './ascii-source.ts';

/** The services, and `composed`, which runs several of them in one process (NATRONI_SERVICES). */
const SERVICE_PROCESSES = [
  'node-agent',
  'election',
  'api-gateway',
  'metrics',
  'router-updater',
  'composed',
] as const;

/**
 * Packages that NestJS, fastify and pg load only when a feature asks for them, inside a try/catch, and
 * that natroni does not install: they stay `require` calls, which fail as they would unbundled.
 */
const OPTIONAL_PACKAGES = [
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'class-transformer/storage',
  'pg-native',
];

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  logLevel: 'warning',
};

/**
 * A service's main.cjs. A module is compiled before any of its code runs, so the compile cache is turned
 * on by this small file before it requires the bundle. Node keeps V8's compiled code of app.cjs in
 * compile-cache/ (per Node.js version, checked against the file's content, so a rebuilt bundle never
 * runs stale code) and writes it at exit; flushing it once the service has booted also keeps it for a
 * process that is killed. Where compile-cache/ cannot be written, the service only starts slower.
 * Deno has no compile cache API: the same file runs the service there without one
 * (`deno run -A dist/bundles/<service>/main.cjs`).
 */
const ENTRY_POINT = `'use strict';
const { enableCompileCache, flushCompileCache } = require('node:module');
const caching = typeof enableCompileCache === 'function';
if (caching) enableCompileCache(require('node:path').join(__dirname, 'compile-cache'));
require('./app.cjs');
if (caching) setTimeout(flushCompileCache, 5000).unref();
`;

async function bundleApp(repoDir: string, app: string, outfile: string): Promise<void> {
  const { outputFiles } = await build({
    ...COMMON,
    entryPoints: [resolve(repoDir, 'dist/apps', app, 'src/main.js')],
    outfile,
    write: false,
    external: OPTIONAL_PACKAGES,
    // ESM-only dependencies read import.meta.url (createRequire); in one CommonJS file it is the file's.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  await writeWhole(outfile, escapeNonAscii(outputFiles[0].text));
}

/** Writes a file in one rename, so that a service starting meanwhile reads the old one or the new one. */
async function writeWhole(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

/** Removes the entries of `dir` that are not `expected`: what an older build left. */
async function removeAllBut(dir: string, expected: readonly string[]): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (!expected.includes(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const repoDir = resolve(__dirname, '../..');
  const bundles = resolve(repoDir, 'dist/bundles');
  await Promise.all([
    ...SERVICE_PROCESSES.flatMap((app) => [
      bundleApp(repoDir, app, resolve(bundles, app, 'app.cjs')),
      writeWhole(resolve(bundles, app, 'main.cjs'), ENTRY_POINT),
    ]),
    bundleApp(repoDir, 'natronictl', resolve(bundles, 'natronictl.cjs')),
  ]);
  await removeAllBut(bundles, [...SERVICE_PROCESSES, 'natronictl.cjs']);
  for (const app of SERVICE_PROCESSES) {
    await removeAllBut(resolve(bundles, app), ['app.cjs', 'main.cjs', 'compile-cache']);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
