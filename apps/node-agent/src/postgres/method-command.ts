import { spawn } from 'node:child_process';
import type { MethodCall } from '../../../../libs/domain/src/index.ts';
import type { OsUser } from './os-user.ts';

/** How much of a command's output a failure reports. */
const OUTPUT_TAIL_CHARS = 2_000;

export interface MethodCommandRun {
  readonly osUser: OsUser;
  readonly timeoutMs: number;
  /** Added to the agent's environment (which the command inherits, as with Patroni). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A custom bootstrap or replica creation command that failed, with the end of its output. */
export class MethodCommandError extends Error {
  override readonly name = 'MethodCommandError';
  constructor(
    readonly method: string,
    readonly exitCode: number | null,
    output: string,
  ) {
    super(
      `${method} failed (${exitCode === null ? 'killed' : `exit code ${exitCode}`}): ${output.trim() || 'no output'}`,
    );
  }
}

/**
 * Runs a user's method command (`bootstrap.<method>.command`, a replica method's `command`) as the OS
 * user that runs PostgreSQL, since it writes the data directory. The command line is split by the shell,
 * as Patroni's shlex.split does, and natroni's arguments follow it. Past `timeoutMs`, its whole process
 * group is killed.
 */
export function runMethodCommand(
  method: string,
  call: MethodCall,
  options: MethodCommandRun,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${call.command} "$@"`, method, ...call.args], {
      uid: options.osUser.uid,
      gid: options.osUser.gid,
      cwd: '/',
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new MethodCommandError(method, null, error.message));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // A command that leaves children behind must not keep them running past its own end.
      killGroup(child.pid);
      if (code === 0 && !timedOut) return resolve();
      const reason = timedOut ? `timed out after ${options.timeoutMs} ms\n${output}` : output;
      reject(new MethodCommandError(method, timedOut ? null : code, reason));
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}
