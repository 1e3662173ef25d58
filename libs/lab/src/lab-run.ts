import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { registerChild } from '../../harness/src/index.ts';
import { availabilityBoundMs, LAB_DCS } from './client-host-run.ts';
import { checkLab, type LabVerdict } from './lab-checker.ts';
import { CLIENT_HOST } from './lab-layout.ts';
import { LabNetwork, sweepDeadLabNetworks } from './lab-network.ts';
import type { LabOptions } from './lab-options.ts';
import type { LabRecords } from './lab-records.ts';
import { resultsDocument } from './lab-report.ts';

export interface LabRunResult {
  readonly records: LabRecords;
  readonly verdict: LabVerdict;
  readonly resultsFile: string;
  readonly recordsFile: string;
}

export interface LabRunSettings {
  /** The repository root, whose dist/ holds the built services and the client host's program. */
  readonly repoDir: string;
  /** The command line, for the results file. */
  readonly command: string;
  /** Where the client host's output goes; the terminal by default. */
  readonly logFile?: string;
}

/**
 * A whole lab run: builds the hosts, runs the lab on the client host (as a process of its own inside
 * that namespace, so that it reaches every host over the lab's network, as a client would), checks
 * what it recorded and writes the results file. The hosts and every process in them are removed at
 * the end, on a signal and on exit; a later run removes those of a run that died.
 */
export async function runLab(options: LabOptions, settings: LabRunSettings): Promise<LabRunResult> {
  const program = resolve(settings.repoDir, 'dist/scripts/lab-client-host.js');
  if (!existsSync(program)) throw new Error(`${program} is missing: run npm run build first`);
  sweepDeadLabNetworks();
  const baseDir = await mkdtemp(join(tmpdir(), `natroni-lab-${process.pid}-`));
  await chmod(baseDir, 0o755);
  const network = LabNetwork.create();
  const removeNetwork = () => network.remove();
  process.once('exit', removeNetwork);
  const resultsFile = resolve(options.out);
  const recordsFile = resultsFile.replace(/\.md$/, '') + '.json';
  let keepLogs = true;
  try {
    await runClientHost(network, options, settings, baseDir, recordsFile);
    const records = JSON.parse(await readFile(recordsFile, 'utf8')) as LabRecords;
    const verdict = checkLab(records, availabilityBoundMs(LAB_DCS));
    await mkdir(dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, resultsDocument(records, verdict, settings.command));
    keepLogs = verdict.anomalies.length > 0;
    return { records, verdict, resultsFile, recordsFile };
  } finally {
    network.remove();
    process.removeListener('exit', removeNetwork);
    // The services' logs explain an anomaly: they go beside the results file.
    if (keepLogs) {
      await cp(join(baseDir, 'logs'), `${resultsFile.replace(/\.md$/, '')}-logs`, {
        recursive: true,
      }).catch(() => undefined);
    }
    if (!process.env.NATRONI_KEEP_LAB_FILES) await rm(baseDir, { recursive: true, force: true });
  }
}

async function runClientHost(
  network: LabNetwork,
  options: LabOptions,
  settings: LabRunSettings,
  baseDir: string,
  recordsFile: string,
): Promise<void> {
  await mkdir(dirname(recordsFile), { recursive: true });
  const argument = JSON.stringify({
    lab: options,
    repoDir: settings.repoDir,
    baseDir,
    networkOwner: network.owner,
    recordsFile,
  });
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      network.namespace(CLIENT_HOST.name),
      process.execPath,
      join(settings.repoDir, 'dist/scripts/lab-client-host.js'),
      argument,
    ],
    { stdio: settings.logFile ? ['ignore', 'pipe', 'pipe'] : 'inherit' },
  );
  registerChild(child);
  if (settings.logFile) {
    const { createWriteStream } = await import('node:fs');
    const log = createWriteStream(settings.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const code = await new Promise<number | null>((resolveExit) =>
    child.once('exit', (exitCode) => resolveExit(exitCode)),
  );
  if (code !== 0) {
    throw new Error(
      `the lab's client host exited with code ${code}${settings.logFile ? ` (see ${settings.logFile})` : ''}`,
    );
  }
}
