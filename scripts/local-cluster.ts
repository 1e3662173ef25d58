/**
 * `npm start`: a complete natroni cluster on this machine, on loopback ports, until Ctrl-C.
 *
 *   NATRONI_LOCAL_DIR    where the store, configuration files, data and logs go (/tmp/natroni-local)
 *   NATRONI_LOCAL_PORTS  "free" to pick free ports instead of 4222, 5432.., 8008.., 8080.., 9547
 */
import { chmod, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defaultClusterPorts, freeClusterPorts, LocalCluster } from '../libs/harness/src/index.ts';

const MEMBERS = 3;

async function main(): Promise<void> {
  const baseDir = process.env.NATRONI_LOCAL_DIR ?? '/tmp/natroni-local';
  await mkdir(baseDir, { recursive: true });
  // PostgreSQL runs as an unprivileged user, which must be able to reach its data directory here.
  await chmod(baseDir, 0o755);
  const ports =
    process.env.NATRONI_LOCAL_PORTS === 'free'
      ? await freeClusterPorts(MEMBERS)
      : defaultClusterPorts(MEMBERS);
  console.log(`starting natroni: ${MEMBERS} members, logs in ${baseDir}/logs ...`);
  const cluster = await LocalCluster.start({
    repoDir: resolve(__dirname, '../..'),
    baseDir,
    scope: 'demo',
    memberCount: MEMBERS,
    ports,
    dcs: { ttl: 10, loop_wait: 1, retry_timeout: 4, maximum_lag_on_failover: 1048576 },
    restapiCredentials: { username: 'admin', password: 'admin' },
    logToFiles: true,
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
