/**
 * `npm start`: a complete natroni cluster on this machine, on loopback ports, until Ctrl-C.
 *
 *   NATRONI_LOCAL_DIR    where the store, configuration files, data and logs go (/tmp/natroni-local)
 *   NATRONI_LOCAL_PORTS  "free" to pick free ports instead of 4222, 5432.., 8008.., 8080.., 9547
 *   NATRONI_LOCAL_LAYOUT "per-service" to run each member's agent, election and gateway as three
 *                        processes instead of one (docs/runtime-and-memory.md says what each gives up)
 */
import { chmod, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  defaultClusterPorts,
  freeClusterPorts,
  LocalCluster,
  type ProcessLayout,
} from '../libs/harness/src/index.ts';

const MEMBERS = 3;

function layoutFromEnv(): ProcessLayout {
  const layout = process.env.NATRONI_LOCAL_LAYOUT ?? 'per-node';
  if (layout !== 'per-node' && layout !== 'per-service')
    throw new Error(`NATRONI_LOCAL_LAYOUT must be per-node or per-service, not "${layout}"`);
  return layout;
}

async function main(): Promise<void> {
  const baseDir = process.env.NATRONI_LOCAL_DIR ?? '/tmp/natroni-local';
  await mkdir(baseDir, { recursive: true });
  // PostgreSQL runs as an unprivileged user, which must be able to reach its data directory here.
  await chmod(baseDir, 0o755);
  const ports =
    process.env.NATRONI_LOCAL_PORTS === 'free'
      ? await freeClusterPorts(MEMBERS)
      : defaultClusterPorts(MEMBERS);
  const layout = layoutFromEnv();
  console.log(`starting natroni: ${MEMBERS} members (${layout}), logs in ${baseDir}/logs ...`);
  const cluster = await LocalCluster.start({
    repoDir: resolve(__dirname, '../..'),
    baseDir,
    scope: 'demo',
    memberCount: MEMBERS,
    ports,
    dcs: { ttl: 10, loop_wait: 1, retry_timeout: 4, maximum_lag_on_failover: 1048576 },
    restapiCredentials: { username: 'admin', password: 'admin' },
    logToFiles: true,
    layout,
  });
  console.log(cluster.describe());
  console.log('Ctrl-C stops everything.');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('stopping natroni ...');
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
