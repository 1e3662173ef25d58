import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

/**
 * Every process of one PostgreSQL instance: the postmaster's children, and the backends it left behind
 * when it died (reparented, but still working in the data directory, which every postgres process makes
 * its working directory). The agent's own children (the guard and its watcher) are left out. Linux:
 * read from /proc; elsewhere nothing is found and only the postmaster itself is signalled.
 */
export function postgresProcesses(dataDir: string, postmasterPid: number | undefined): number[] {
  let root: string;
  let entries: string[];
  try {
    root = realpathSync(dataDir);
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pid === postmasterPid)
      continue;
    const parent = parentPid(pid);
    if (parent === undefined || parent === process.pid) continue;
    if (parent === postmasterPid || workingDirectory(pid) === root) found.push(pid);
  }
  return found;
}

/** SIGKILL to each of `pids`; one that is already gone is skipped. Works on stopped processes too. */
export function killProcesses(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited in the meantime.
    }
  }
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function workingDirectory(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}
