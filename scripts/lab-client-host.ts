/**
 * The lab's client host: started by the lab inside its client namespace with its settings as one JSON
 * argument; runs the cluster, the writer, the probes and the faults, and writes its records.
 */
import { runOnClientHost, type ClientHostRunOptions } from '../libs/lab/src/client-host-run.ts';

runOnClientHost(JSON.parse(process.argv[2] ?? '{}') as ClientHostRunOptions).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`lab: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
