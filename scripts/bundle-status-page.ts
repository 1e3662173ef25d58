/**
 * Builds the gateway's status page into dist/status-page/: app.js (the page, preact and htm in one
 * minified file), app.css and index.html. Nothing is fetched at run time: the gateway serves these
 * three files at /ui/ (apps/api-gateway/src/status-page/).
 *
 *   node dist/scripts/bundle-status-page.js      (npm run build runs it after tsc)
 */
import { build } from 'esbuild';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>natroni status</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="app.css" />
  </head>
  <body>
    <div id="app"></div>
    <noscript>The status page needs JavaScript; the same facts are at /cluster and /history.</noscript>
    <script src="app.js"></script>
  </body>
</html>
`;

async function main(): Promise<void> {
  const repoDir = resolve(__dirname, '../..');
  const source = resolve(repoDir, 'apps/api-gateway/status-page-client');
  const out = resolve(repoDir, 'dist/status-page');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [resolve(source, 'main.ts')],
    outfile: resolve(out, 'app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    logLevel: 'warning',
    legalComments: 'none',
  });
  await copyFile(resolve(source, 'app.css'), resolve(out, 'app.css'));
  await writeFile(resolve(out, 'index.html'), INDEX_HTML);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
