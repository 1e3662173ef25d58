import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registerChild, waitForExit, waitUntil } from '../../libs/harness/src/index.ts';

export const REPO_DIR = resolve(__dirname, '../..');
/** The deno binary of the `deno` npm package (devDependency). */
export const DENO_BIN = join(REPO_DIR, 'node_modules/.bin/deno');

/**
 * A scratch DENO_DIR, so that Deno's caches stay out of the home directory. The repository's deno.json
 * sets `nodeModulesDir: manual`: npm packages come from node_modules, nothing is downloaded.
 */
export async function scratchDenoDir(): Promise<{ path: string; dispose: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'natroni-test-deno-'));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

export interface DenoRun {
  code: number;
  output: string;
}

/** Runs `deno <args>` in `cwd` (the repository by default) to its end, bounded by `timeoutMs`. */
export function runDeno(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
  cwd = REPO_DIR,
): Promise<DenoRun> {
  return new Promise((resolveRun) => {
    execFile(
      DENO_BIN,
      args,
      { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolveRun({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** A long-running `deno run` child (a service or the example plugin), its output kept for assertions. */
export class DenoProcess {
  private output = '';

  private constructor(readonly child: ChildProcess) {}

  static start(args: readonly string[], env: Readonly<Record<string, string>>): DenoProcess {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('NATRONI_')),
    );
    const child = spawn(DENO_BIN, ['run', ...args], {
      cwd: REPO_DIR,
      env: { ...inherited, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    registerChild(child);
    const started = new DenoProcess(child);
    const keep = (chunk: Buffer): void => {
      started.output = (started.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return started;
  }

  get recentOutput(): string {
    return this.output;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits until the output matches `pattern`; fails early if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
    return waitUntil(
      () => {
        const match = this.output.match(pattern);
        if (match) return match;
        if (this.exited) throw new Error(`deno exited before ${what}: ${this.output}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${what} (output so far: ${this.output.slice(-2000)})` },
    );
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`; resolves with the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    this.child.kill('SIGTERM');
    await waitForExit(this.child, timeoutMs);
    return this.child.exitCode;
  }
}
