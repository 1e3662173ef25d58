import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { OsUser } from './os-user.ts';

export interface ToolRun {
  readonly binDir: string;
  readonly osUser: OsUser;
  readonly timeoutMs: number;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
}

/** The failure of a PostgreSQL tool, with the end of what it wrote to stderr. */
export class PostgresToolError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} failed (exit code ${exitCode}): ${stderr.trim().slice(-2_000) || 'no output'}`);
    this.name = 'PostgresToolError';
  }
}

/** Runs one PostgreSQL binary (initdb, pg_basebackup, pg_rewind, ...) as the PostgreSQL OS user. */
export function runPostgresTool(
  tool: string,
  args: readonly string[],
  options: ToolRun,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(options.binDir, tool),
      [...args],
      {
        uid: options.osUser.uid,
        gid: options.osUser.gid,
        cwd: options.cwd ?? '/',
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...options.env },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === 'number' ? error.code : null;
        const reason = error.killed ? `timed out after ${options.timeoutMs} ms\n${stderr}` : stderr;
        reject(new PostgresToolError(tool, code, reason || error.message));
      },
    );
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    else child.stdin?.end();
  });
}
