import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { registerChild, waitForExit, waitUntil } from '../../libs/harness/src/index.ts';

export const NATRONICTL = resolve(__dirname, '../../dist/bundles/natronictl.cjs');

export interface NatronictlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NatronictlRun {
  readonly result: Promise<NatronictlResult>;
  /** Resolves once stderr contains `text`. */
  stderrContains(text: string, timeoutMs: number): Promise<void>;
  /** Resolves once stdout satisfies `accept`. */
  stdoutSatisfies(
    accept: (stdout: string) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<void>;
  kill(): void;
}

/**
 * Starts the built natronictl with `args`; stdin is a pipe (no terminal) that carries `input` (the
 * answers to its questions) and is then closed.
 */
export function startNatronictl(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
): NatronictlRun {
  if (!existsSync(NATRONICTL)) throw new Error(`${NATRONICTL} is missing: run npm run build first`);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('NATRONI_')),
  );
  const child = spawn(process.execPath, [NATRONICTL, ...args], {
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  registerChild(child);
  child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<NatronictlResult>((resolveResult) =>
    child.once('close', (code) => resolveResult({ code, stdout, stderr })),
  );
  return {
    result,
    stderrContains: async (text, timeoutMs) => {
      await waitUntil(
        () => {
          if (stderr.includes(text)) return true;
          if (child.exitCode !== null) throw new Error(`natronictl exited: ${stderr}`);
          return undefined;
        },
        { timeoutMs, intervalMs: 50, what: `natronictl to print "${text}"` },
      );
    },
    stdoutSatisfies: async (accept, what, timeoutMs) => {
      await waitUntil(
        () => {
          if (accept(stdout)) return true;
          if (child.exitCode !== null) throw new Error(`natronictl exited: ${stderr}`);
          return undefined;
        },
        { timeoutMs, intervalMs: 50, what },
      );
    },
    kill: () => {
      void waitForExit(child, 2_000);
      child.kill('SIGTERM');
    },
  };
}

/** Runs natronictl to its end, bounded by `timeoutMs`. */
export async function natronictl(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 90_000,
  input = '',
): Promise<NatronictlResult> {
  const run = startNatronictl(args, env, input);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.kill();
      reject(new Error(`natronictl ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.result, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
