import { ClusterKeys, type ClusterStore } from '../../libs/dcs/src/index.ts';
import { waitUntil, type LocalCluster, type LocalMember } from '../../libs/harness/src/index.ts';
import { primaries, withClient } from './postgres-probe.ts';

/** How a service is ended before it is started again. */
export type RestartKind = 'kill -9' | 'SIGTERM';
/** The services of the primary's node: its election, its agent and its gateway. */
export type RestartedService = 'election' | 'agent' | 'gateway';

export const RESTART_KINDS: readonly RestartKind[] = ['kill -9', 'SIGTERM'];
export const RESTARTED_SERVICES: readonly RestartedService[] = ['election', 'agent', 'gateway'];

/** Who leads: a failover or a switchover raises the term, a promotion the timeline. */
export interface Leadership {
  readonly primary: string;
  readonly term: number;
  readonly timeline: number;
}

export async function leadership(cluster: LocalCluster, store: ClusterStore): Promise<Leadership> {
  const found = await primaries(cluster);
  if (found.length !== 1) throw new Error(`expected one primary, found ${found.join(', ')}`);
  const primary = found[0];
  const timeline = await withClient(cluster.member(primary), async (client) => {
    const result = await client.query<{ timeline: number }>(
      "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline",
    );
    return result.rows[0].timeline;
  });
  const entry = await store.entry(ClusterKeys.leader);
  const term = entry?.operation === 'PUT' ? (entry.json<{ term?: number }>().term ?? 0) : 0;
  return { primary, term, timeline };
}

/**
 * Ends one service of `member` by `kind`, waits `downMs`, and starts it again with the same configuration.
 * The local cluster runs each service in a process of its own (the test suites' layout).
 */
export async function restartService(
  cluster: LocalCluster,
  member: LocalMember,
  service: RestartedService,
  kind: RestartKind,
  downMs: number,
): Promise<void> {
  const running = member[service];
  if (kind === 'kill -9') running.kill();
  else await running.stop('SIGTERM', 30_000);
  await waitUntil(() => running.exited || undefined, {
    timeoutMs: 10_000,
    intervalMs: 20,
    what: `${service} of ${member.name} to exit after ${kind}`,
  });
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await cluster.restart(member, service);
}
