import { spawn } from 'node:child_process';
import type { CallbackAction } from '../../../../libs/member-config/src/index.ts';

export interface CallbackOutcome {
  readonly action: CallbackAction;
  readonly role: string;
  /** Undefined when the script was killed or could not be started. */
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export interface CallbackQueueOptions {
  readonly scope: string;
  readonly commands: Readonly<Partial<Record<CallbackAction, string>>>;
  readonly timeoutMs: number;
  readonly onCompleted: (outcome: CallbackOutcome) => void;
}

/**
 * Patroni's callbacks (`<cmd> <action> <role> <scope>`), run one at a time in the order they were
 * asked for. Unlike Patroni, a later callback never kills the running one: it waits. Each one is bounded
 * by `callback_timeout`, after which its whole process group is killed.
 */
export class CallbackQueue {
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: CallbackQueueOptions) {}

  /** Queues the callback for `action` if one is configured; resolves when it has run. */
  enqueue(action: CallbackAction, role: string): Promise<void> {
    const command = this.options.commands[action];
    if (command === undefined || command.trim() === '' || this.stopped) return Promise.resolve();
    this.tail = this.tail.then(async () => {
      if (this.stopped) return;
      this.options.onCompleted(await this.runOne(command, action, role));
    });
    return this.tail;
  }

  /** Waits for the queued callbacks; no new ones are accepted. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.tail;
  }

  private runOne(command: string, action: CallbackAction, role: string): Promise<CallbackOutcome> {
    const started = performance.now();
    return new Promise((resolve) => {
      // The command line is split by the shell, as Patroni's shlex.split does; the arguments follow.
      const child = spawn(
        '/bin/sh',
        ['-c', `${command} "$@"`, 'callback', action, role, this.options.scope],
        {
          detached: true,
          stdio: 'ignore',
        },
      );
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, this.options.timeoutMs);
      const finish = (exitCode: number | undefined): void => {
        clearTimeout(timer);
        resolve({ action, role, exitCode, durationMs: performance.now() - started, timedOut });
      };
      child.once('error', () => finish(undefined));
      child.once('exit', (code) => {
        // A script that leaves children behind must not keep them running past its own end.
        killGroup(child.pid);
        finish(timedOut || code === null ? undefined : code);
      });
    });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}
