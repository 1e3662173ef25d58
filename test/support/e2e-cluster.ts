import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  freeClusterPorts,
  LocalCluster,
  waitUntil,
  type LocalClusterOptions,
} from '../../libs/harness/src/index.ts';
import { failureDigest, testFileFailed } from './failure-digest.ts';
import { isReplica, primaries, streamingReplicas, withClient } from './postgres-probe.ts';

/** Short enough that failover suites run in seconds; see docs/ha.md, "Timings", for the defaults. */
export const E2E_TTL_SECONDS = 8;

/**
 * A local cluster (three members unless `network.memberCount` says otherwise) on free ports in a
 * temporary directory, started through the same code as `npm start`; `network.dcs` adds to the
 * `bootstrap.dcs` section (a `standby_cluster`, for instance).
 */
export async function startE2eCluster(
  scope: string,
  tags?: LocalClusterOptions['tags'],
  network: Partial<
    Pick<
      LocalClusterOptions,
      'ports' | 'memberNatsPorts' | 'layout' | 'memberSections' | 'memberCount' | 'dcs'
    >
  > = {},
): Promise<LocalCluster> {
  const memberCount = network.memberCount ?? 3;
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-test-e2e-'));
  await chmod(baseDir, 0o755);
  const cluster = await LocalCluster.start({
    repoDir: resolve(__dirname, '../..'),
    baseDir,
    scope,
    memberCount,
    ports: network.ports ?? (await freeClusterPorts(memberCount)),
    memberNatsPorts: network.memberNatsPorts,
    layout: network.layout,
    memberSections: network.memberSections,
    dcs: {
      ttl: E2E_TTL_SECONDS,
      loop_wait: 1,
      retry_timeout: 3,
      maximum_lag_on_failover: 1048576,
      ...network.dcs,
    },
    restapiCredentials: { username: 'admin', password: 'admin' },
    logToFiles: true,
    tags,
  });
  return cluster;
}

/** Set NATRONI_KEEP_E2E_LOGS to a directory to keep each cluster's service logs there. */
export async function disposeE2eCluster(cluster: LocalCluster | undefined): Promise<void> {
  if (!cluster) return;
  await cluster.stop();
  if (testFileFailed()) {
    console.error(
      `${cluster.options.scope}: the services' last log lines\n${await failureDigest(join(cluster.options.baseDir, 'logs'))}`,
    );
  }
  const keep = process.env.NATRONI_KEEP_E2E_LOGS;
  if (keep) {
    await cp(join(cluster.options.baseDir, 'logs'), join(keep, cluster.options.scope), {
      recursive: true,
    });
  }
  await rm(cluster.options.baseDir, { recursive: true, force: true });
}

/** Waits for exactly one primary with every other member streaming from it; returns its name. */
export async function waitForHealthyCluster(
  cluster: LocalCluster,
  timeoutMs: number,
): Promise<string> {
  return waitUntil(
    async () => {
      const found = await primaries(cluster);
      if (found.length !== 1) return undefined;
      const primary = cluster.member(found[0]);
      const streaming = await streamingReplicas(primary);
      const others = cluster.members.filter((member) => member !== primary);
      // A base backup in progress streams under the member's name too: the replica itself must run.
      const replicating = await Promise.all(
        others.map(async (member) => streaming.includes(member.name) && (await isReplica(member))),
      );
      return replicating.every(Boolean) ? primary.name : undefined;
    },
    {
      timeoutMs,
      intervalMs: 100,
      what: `one primary with every other member streaming (logs in ${cluster.options.baseDir}/logs)`,
    },
  );
}

export async function createProbeTable(cluster: LocalCluster, primary: string): Promise<void> {
  await withClient(cluster.member(primary), (client) =>
    client.query(
      'CREATE TABLE IF NOT EXISTS natroni_probe (id bigserial PRIMARY KEY, member text, at timestamptz DEFAULT now())',
    ),
  );
}
