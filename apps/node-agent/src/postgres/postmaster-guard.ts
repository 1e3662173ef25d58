import { spawn, type ChildProcess } from 'node:child_process';
import type { OsUser } from './os-user.ts';

/**
 * The postmaster runs under this small shell guard, the agent's direct child. The guard:
 * - starts the postmaster in the background and prints its pid on stdout (the agent signals it directly);
 * - in a background subshell, blocks reading its stdin, a pipe whose other end only the agent holds: when
 *   the agent dies (even by kill -9) the kernel closes the pipe, `read` returns, and the subshell sends
 *   SIGQUIT (immediate shutdown), so that an orphaned primary stops accepting writes at once;
 * - waits for the postmaster and exits with its status (128 + signal when killed), so that a postmaster
 *   crash reaches the agent as its child's exit, never through `kill -0`.
 * A background job's stdin is /dev/null in sh, hence the copy of the pipe on fd 3.
 */
const GUARD_SCRIPT = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'postmaster=$!',
  'echo "$postmaster"',
  '( read -r _ <&3; kill -QUIT "$postmaster" 2>/dev/null ) &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$postmaster"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

/** Starts `postgres` with `args` under the guard, as `osUser`; stdin is the agent's end of the pipe. */
export function spawnGuardedPostmaster(
  postgresBinary: string,
  args: readonly string[],
  osUser: OsUser,
  cwd: string,
): ChildProcess {
  return spawn(
    '/bin/sh',
    ['-c', GUARD_SCRIPT, 'natroni-postmaster-guard', postgresBinary, ...args],
    {
      uid: osUser.uid,
      gid: osUser.gid,
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    },
  );
}
