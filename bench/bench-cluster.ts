import { resolve } from 'node:path';
import { DEFAULT_HA_TIMINGS } from '../libs/domain/src/election/index.ts';
import type { ClusterPorts, LocalClusterOptions } from '../libs/harness/src/index.ts';

/**
 * The local cluster every HA benchmark starts: three members with Patroni's default timings, so that
 * the figures compare with Patroni's own defaults, and logs on disk for a look afterwards.
 */
export function benchClusterOptions(
  baseDir: string,
  scope: string,
  ports: ClusterPorts,
): LocalClusterOptions {
  return {
    repoDir: resolve(__dirname, '../..'),
    baseDir,
    scope,
    memberCount: 3,
    ports,
    dcs: {
      ttl: DEFAULT_HA_TIMINGS.ttlSeconds,
      loop_wait: DEFAULT_HA_TIMINGS.loopWaitSeconds,
      retry_timeout: DEFAULT_HA_TIMINGS.retryTimeoutSeconds,
    },
    restapiCredentials: { username: 'admin', password: 'admin' },
    logToFiles: true,
  };
}
