import { readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { killProcessesUnder, type LeftoverProcess } from './leftover-processes.ts';

/**
 * Each jest run puts every temporary directory of its servers inside one directory of its own,
 * `natroni-test-run-<runner pid>-XXXXXX`, by pointing TMPDIR at it. The final sweep can then kill
 * and remove what this run left behind, and what runs that died left behind, without touching the
 * servers of test runs still going on the same machine.
 */
const RUN_DIR_PREFIX = 'natroni-test-run-';
const RUN_DIR_VARIABLE = 'NATRONI_TEST_RUN_DIR';
const SERVER_NAMES = ['postgres', 'nats-server'];

export async function beginTestRun(): Promise<string> {
  const runDir = await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${process.pid}-`));
  // The unprivileged PostgreSQL user must be able to reach its own directory inside.
  await chmod(runDir, 0o755);
  process.env[RUN_DIR_VARIABLE] = runDir;
  process.env.TMPDIR = runDir;
  return runDir;
}

function runnerIsAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('jest');
  } catch {
    return false;
  }
}

/** Kills the servers left in this run's directory and in those of dead runs, and removes the directories. */
export async function endTestRun(): Promise<LeftoverProcess[]> {
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (!runDir) return [];
  const baseDir = dirname(runDir);
  process.env.TMPDIR = baseDir;
  delete process.env[RUN_DIR_VARIABLE];
  const killed: LeftoverProcess[] = [];
  for (const entry of readdirSync(baseDir)) {
    if (!entry.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = join(baseDir, entry);
    const runnerPid = Number(entry.slice(RUN_DIR_PREFIX.length).split('-')[0]);
    if (dir !== runDir && runnerIsAlive(runnerPid)) continue;
    killed.push(...(await killProcessesUnder(dir, SERVER_NAMES)));
    await rm(dir, { recursive: true, force: true });
  }
  return killed;
}
