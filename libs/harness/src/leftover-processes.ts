import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { waitUntil } from './wait-until.ts';

export interface LeftoverProcess {
  pid: number;
  name: string;
  commandLine: string;
}

function readOrEmpty(read: () => string): string {
  try {
    return read();
  } catch {
    // The process has exited meanwhile, or belongs to a user we may not inspect.
    return '';
  }
}

function isAlive(pid: number): boolean {
  const stat = readOrEmpty(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  // The state follows the parenthesised command name, which may itself contain spaces or ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z';
}

/**
 * Live processes named one of `names` whose command line or working directory contains `path`.
 * PostgreSQL rewrites its children's command lines ("postgres: checkpointer"), but every one of
 * them runs with the data directory as its working directory.
 */
export function findProcessesUnder(path: string, names: readonly string[]): LeftoverProcess[] {
  const found: LeftoverProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const name = readOrEmpty(() => readFileSync(`/proc/${pid}/comm`, 'utf8')).trim();
    if (!names.includes(name)) continue;
    const commandLine = readOrEmpty(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
      .split('\0')
      .join(' ')
      .trim();
    const cwd = readOrEmpty(() => readlinkSync(`/proc/${pid}/cwd`));
    if ((commandLine.includes(path) || cwd.includes(path)) && isAlive(pid)) {
      found.push({ pid, name, commandLine });
    }
  }
  return found;
}

/** SIGKILLs the processes `findProcessesUnder` finds and waits (bounded) until they are gone. */
export async function killProcessesUnder(
  path: string,
  names: readonly string[],
): Promise<LeftoverProcess[]> {
  const leftovers = findProcessesUnder(path, names);
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await waitUntil(() => (leftovers.some(({ pid }) => isAlive(pid)) ? undefined : true), {
    timeoutMs: 10_000,
    what: `the killed processes under ${path} (${leftovers.map(({ pid }) => pid).join(', ')}) to exit`,
  });
  return leftovers;
}
