/**
 * npm run lab -- --faults 200 --seed 7: natroni on several hosts (network namespaces), a writer, and a
 * seeded schedule of faults; prints the results table and writes the results file. Exit code 0 when the
 * checker found no anomaly, 1 when it found some, 2 on bad options, 3 when this machine cannot build a lab.
 */
import { resolve } from 'node:path';
import {
  LAB_USAGE,
  labUnavailableReason,
  LabOptionsError,
  netemUnavailableReason,
  parseLabOptions,
  resultsTable,
  runLab,
} from '../libs/lab/src/index.ts';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(LAB_USAGE);
    return 0;
  }
  let options;
  try {
    options = parseLabOptions(argv);
  } catch (error) {
    if (!(error instanceof LabOptionsError)) throw error;
    console.error(`lab: ${error.message}\n${LAB_USAGE}`);
    return 2;
  }
  const unavailable = labUnavailableReason();
  if (unavailable) {
    console.error(`lab: ${unavailable}`);
    return 3;
  }
  const netemMissing = netemUnavailableReason();
  if (netemMissing && options.kinds.includes('netem-primary')) {
    const explicit = argv.some((arg) => arg.startsWith('--kinds'));
    if (explicit) {
      console.error(`lab: netem-primary cannot run here: ${netemMissing}`);
      return 3;
    }
    console.warn(`lab: leaving netem-primary out: ${netemMissing}`);
    options = { ...options, kinds: options.kinds.filter((kind) => kind !== 'netem-primary') };
  }
  // A signal ends the run through process.exit, whose handlers remove the lab's hosts.
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const) {
    process.on(signal, () => process.exit(128 + number));
  }
  const command =
    `npm run lab -- --faults ${options.faults} --seed ${options.seed} --mode ${options.mode}` +
    (argv.some((arg) => arg.startsWith('--kinds')) || netemMissing
      ? ` --kinds ${options.kinds.join(',')}`
      : '');
  const result = await runLab(options, { repoDir: resolve(__dirname, '..', '..'), command });
  console.log(`\n${resultsTable(result.verdict.rows)}\n`);
  for (const anomaly of result.verdict.anomalies)
    console.log(`ANOMALY ${anomaly.kind}: ${anomaly.summary}`);
  console.log(
    `${result.verdict.anomalies.length} anomalies; results in ${result.resultsFile}, records in ${result.recordsFile}`,
  );
  return result.verdict.anomalies.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`lab: ${(error as Error).message}`);
    process.exit(1);
  },
);
