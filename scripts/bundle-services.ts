/**
 * Bundles each built service into dist/bundles/<app>/: app.cjs, the whole service as one file, and
 * main.cjs, its entry point, which runs app.cjs through V8's code cache (scripts/code-cached-main.ts).
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
import { resolve } from 'node:path';
import { escapeNonAscii } from './ascii-source.ts';
import { removeLeftovers, writeIfChanged } from './bundle-output.ts';

/** The four services, and `composed`, which runs several of them in one process (NATRONI_SERVICES). */
const SERVICE_PROCESSES = ['node-agent', 'election', 'api-gateway', 'metrics', 'composed'] as const;

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
  target: 'node20',
  logLevel: 'warning',
};

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
  await writeIfChanged(outfile, escapeNonAscii(outputFiles[0].text));
}

async function bundleEntryPoint(repoDir: string, outfile: string): Promise<void> {
  const { outputFiles } = await build({
    ...COMMON,
    entryPoints: [resolve(repoDir, 'dist/scripts/code-cached-main.js')],
    outfile,
    write: false,
  });
  await writeIfChanged(outfile, outputFiles[0].text);
}

async function main(): Promise<void> {
  const repoDir = resolve(__dirname, '../..');
  const bundles = resolve(repoDir, 'dist/bundles');
  await Promise.all([
    ...SERVICE_PROCESSES.flatMap((app) => [
      bundleApp(repoDir, app, resolve(bundles, app, 'app.cjs')),
      bundleEntryPoint(repoDir, resolve(bundles, app, 'main.cjs')),
    ]),
    bundleApp(repoDir, 'natronictl', resolve(bundles, 'natronictl.cjs')),
  ]);
  await removeLeftovers(bundles, SERVICE_PROCESSES, ['natronictl.cjs']);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
