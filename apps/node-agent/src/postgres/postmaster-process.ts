import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { OsUser } from './os-user.ts';
import { spawnGuardedPostmaster } from './postmaster-guard.ts';
import { killProcesses, postgresProcesses } from './postgres-processes.ts';

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

/** The signals of PostgreSQL's shutdown modes ("Shutting Down the Server"). */
const SHUTDOWN_SIGNALS: Record<ShutdownMode, NodeJS.Signals> = {
  smart: 'SIGTERM',
  fast: 'SIGINT',
  immediate: 'SIGQUIT',
};

export interface PostmasterExit {
  /** Exit code of the postmaster; for a signal, 128 + its number as the guard's shell reports it. */
  readonly code: number | null;
  /** Whether the agent asked for this exit (a stop), as opposed to a crash. */
  readonly requested: boolean;
}

const LOG_TAIL_CHARS = 8_000;

/**
 * One run of the postmaster, under the guard of postmaster-guard.ts. The agent learns of its end from
 * the guard's exit, which follows the postmaster's at once. Backends outlive a postmaster killed alone
 * and may still commit until they notice: the moment its death is known, whatever of this instance is
 * left is killed.
 */
export class PostmasterProcess {
  readonly exited: Promise<PostmasterExit>;
  private postmasterPid: number | undefined;
  private readonly pidKnown: Promise<number | undefined>;
  private logTail = '';
  private stopRequested = false;
  private hasExited = false;

  private constructor(
    private readonly guard: ChildProcess,
    private readonly dataDir: string,
  ) {
    this.exited = new Promise((resolve) => {
      guard.once('exit', (code, signal) => {
        this.hasExited = true;
        killProcesses(postgresProcesses(dataDir, this.postmasterPid));
        resolve({ code: code ?? (signal ? 128 : null), requested: this.stopRequested });
      });
      guard.once('error', (error) => {
        this.keepLog(`${error.message}\n`);
        if (guard.pid === undefined) {
          this.hasExited = true;
          resolve({ code: null, requested: false });
        }
      });
    });
    this.pidKnown = new Promise((resolve) => {
      let pending = '';
      guard.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const newline = pending.indexOf('\n');
        if (newline >= 0 && this.postmasterPid === undefined) {
          this.postmasterPid = Number(pending.slice(0, newline));
          resolve(this.postmasterPid);
        }
      });
      void this.exited.then(() => resolve(this.postmasterPid));
    });
    guard.stderr?.on('data', (chunk: Buffer) => this.keepLog(chunk.toString()));
    // The pipe is only ever closed, never written: an EPIPE on it must not reach the process.
    guard.stdin?.on('error', () => undefined);
  }

  static start(
    binDir: string,
    dataDir: string,
    osUser: OsUser,
    extraArgs: readonly string[] = [],
  ): PostmasterProcess {
    const guard = spawnGuardedPostmaster(
      join(binDir, 'postgres'),
      ['-D', dataDir, ...extraArgs],
      osUser,
      dataDir,
    );
    return new PostmasterProcess(guard, dataDir);
  }

  get running(): boolean {
    return !this.hasExited;
  }

  get pid(): number | undefined {
    return this.postmasterPid;
  }

  /** The last lines PostgreSQL wrote to stderr. */
  get log(): string {
    return this.logTail;
  }

  /** Asks the postmaster to shut down in `mode` and waits for it (SIGKILL after `graceMs`). */
  async stop(mode: ShutdownMode, graceMs = 60_000): Promise<PostmasterExit> {
    this.stopRequested = true;
    const pid = await this.pidKnown;
    if (this.hasExited || pid === undefined) return this.exited;
    this.signal(pid, SHUTDOWN_SIGNALS[mode]);
    const timer = setTimeout(() => this.signal(pid, 'SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGKILL to the postmaster, then to every process of its instance: for a PostgreSQL that no longer
   * answers. A killed process never runs its own code again, even one stopped or stuck in the kernel
   * (it dies when the stuck call returns), so nothing of this instance can commit once this returns,
   * although the processes may not have exited yet. The postmaster goes first, so that it forks no more.
   */
  kill(): void {
    this.stopRequested = true;
    if (this.hasExited) return;
    const pid = this.postmasterPid;
    if (pid !== undefined) this.signal(pid, 'SIGKILL');
    else this.guard.kill('SIGKILL');
    killProcesses(postgresProcesses(this.dataDir, pid));
  }

  private signal(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // The postmaster is already gone; the guard's exit follows.
    }
  }

  private keepLog(text: string): void {
    this.logTail = (this.logTail + text).slice(-LOG_TAIL_CHARS);
  }
}
