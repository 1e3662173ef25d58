/**
 * What one service costs to start: CPU time and resident memory of the election service from its launch
 * until GET /health answers 200, run as the bundle (dist/bundles/election/main.cjs) and as tsc's output
 * (dist/apps/election/src/main.js), each with Node's compile cache cold (emptied first) and warm.
 *
 *   npm run bench:startup          (RUNS=5 by default; medians are reported)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  freePort,
  NatsServerProcess,
  registerChild,
  waitUntil,
} from '../libs/harness/src/index.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const REPO = resolve(__dirname, '../..');
const CLOCK_TICKS_PER_SECOND = 100;

interface Layout {
  readonly name: string;
  readonly main: string;
  /** Where the layout's compile cache lives, emptied before the cold start. */
  readonly cacheDir: string;
  /** Environment that turns the compile cache on, for a layout whose entry point does not. */
  readonly env: Readonly<Record<string, string>>;
}

const unbundledCache = join(tmpdir(), 'natroni-bench-startup-cache');
const LAYOUTS: readonly Layout[] = [
  {
    name: 'bundle (dist/bundles/election/main.cjs)',
    main: join(REPO, 'dist/bundles/election/main.cjs'),
    cacheDir: join(REPO, 'dist/bundles/election/compile-cache'),
    env: {},
  },
  {
    name: 'tsc output (dist/apps/election/src/main.js)',
    main: join(REPO, 'dist/apps/election/src/main.js'),
    cacheDir: unbundledCache,
    env: { NODE_COMPILE_CACHE: unbundledCache },
  },
];

/** CPU seconds (user + system) and resident kB of a running process, from /proc. */
async function usage(pid: number): Promise<{ cpuSeconds: number; rssKb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return {
    cpuSeconds: (Number(stat[11]) + Number(stat[12])) / CLOCK_TICKS_PER_SECOND,
    rssKb: Number(rss?.[1] ?? 0),
  };
}

async function startOnce(
  layout: Layout,
  configFile: string,
): Promise<{ cpuSeconds: number; rssKb: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [layout.main], {
    cwd: REPO,
    env: {
      ...process.env,
      ...layout.env,
      NATRONI_CONFIG: configFile,
      NATRONI_HTTP_PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  registerChild(child);
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-2000)));
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${layout.name} exited with ${child.exitCode}: ${errors}`);
        const response = await fetch(`http://127.0.0.1:${port}/health`, {
          signal: AbortSignal.timeout(3_000),
        }).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, what: `${layout.name} to answer GET /health with 200` },
    );
    return await usage(child.pid ?? 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'natroni-bench-startup-'));
  const nats = await NatsServerProcess.start();
  try {
    const configFile = join(workDir, 'pg1.yml');
    await writeFile(
      configFile,
      stringify({
        scope: 'bench-startup',
        name: 'pg1',
        nats: { servers: [nats.url] },
        restapi: { listen: `127.0.0.1:${await freePort()}` },
        postgresql: { listen: `127.0.0.1:${await freePort()}`, data_dir: join(workDir, 'data') },
        tags: { nofailover: true },
      }),
    );
    console.log(
      `election service start-up, median of ${RUNS} runs: CPU until /health 200, RSS then`,
    );
    for (const layout of LAYOUTS) {
      for (const cache of ['cold', 'warm'] as const) {
        const runs: { cpuSeconds: number; rssKb: number }[] = [];
        for (let run = 0; run < RUNS; run += 1) {
          if (cache === 'cold') await rm(layout.cacheDir, { recursive: true, force: true });
          runs.push(await startOnce(layout, configFile));
        }
        const cpu = median(runs.map((run) => run.cpuSeconds));
        const rss = median(runs.map((run) => run.rssKb)) / 1024;
        console.log(
          `${`${layout.name}, compile cache ${cache}`.padEnd(64)} ${cpu.toFixed(2)} s CPU  ${rss.toFixed(0)} MB RSS`,
        );
      }
    }
  } finally {
    await nats.dispose();
    await rm(workDir, { recursive: true, force: true });
    await rm(unbundledCache, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
