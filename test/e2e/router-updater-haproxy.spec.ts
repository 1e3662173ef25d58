import type { NatsConnection } from '@nats-io/transport-node';
import { NatroniClient } from '../../libs/client/src/index.ts';
import { waitUntil, type LocalCluster, type ServiceProcess } from '../../libs/harness/src/index.ts';
import type { Event } from '../../libs/proto/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { serverStatuses, type HaproxyProcess } from '../support/haproxy-process.ts';
import { throughHaproxy } from '../support/haproxy-writer.ts';
import { connectClient } from '../support/nats-clients.ts';
import { withClient } from '../support/postgres-probe.ts';
import {
  adminStates,
  startRouterUpdater,
  startSlowCheckHaproxy,
} from '../support/router-updater.ts';
import { SessionWriter } from '../support/router-writers.ts';

/**
 * The router updater in front of two real HAProxy instances whose checks run at Patroni's documented
 * timings (`inter 3s fall 3 rise 2`): alone, the checks would leave the old primary UP for seconds
 * after its demotion. The updater also names a stats socket and a PgBouncer that do not exist: it must
 * report them and retry, and the switchovers must not notice.
 */
let cluster: LocalCluster | undefined;
let updater: ServiceProcess | undefined;
let nats: NatsConnection | undefined;
const proxies: HaproxyProcess[] = [];

afterAll(async () => {
  updater?.kill();
  await nats?.close();
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await disposeE2eCluster(cluster);
});

/** HAProxy's administrative drain flag (SRV_ADMF_FDRAIN) in `srv_admin_state`. */
const DRAIN = 0x08;

/** Polls `show stat` of each instance; remembers every moment two servers were UP in the primary backend. */
class PrimaryBackendWatch {
  readonly doubles: string[] = [];
  polls = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly sockets: readonly string[]) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      for (const socket of this.sockets) {
        const statuses = await serverStatuses(socket).catch(() => undefined);
        if (!statuses) continue;
        this.polls += 1;
        const up = [...statuses]
          .filter(([server, status]) => server.startsWith('primary/') && status.startsWith('UP'))
          .map(([server, status]) => `${server} ${status}`);
        if (up.length > 1) this.doubles.push(`${socket}: ${up.join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function switchover(local: LocalCluster, leader: string, candidate: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${local.members[0].ports.gateway}/switchover`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    body: JSON.stringify({ leader, candidate }),
    signal: AbortSignal.timeout(30_000),
  });
  expect([response.status, await response.text()]).toEqual([
    200,
    `Successfully switched over to "${candidate}"`,
  ]);
}

function haproxy(instance: { statsSocket: string }, name: string): Record<string, unknown> {
  return {
    name,
    stats_socket: instance.statsSocket,
    primary_backend: 'primary',
    replica_backends: ['replicas'],
  };
}

/** The port of the primary that a write through HAProxy's `port` reaches, if any. */
function writesOn(port: number): Promise<number | undefined> {
  return throughHaproxy(port, async (client) => {
    const result = await client.query<{ port: number }>(
      'SELECT inet_server_port() AS port WHERE NOT pg_is_in_recovery()',
    );
    return result.rows[0]?.port;
  }).catch(() => undefined);
}

test('ten switchovers through HAProxy at slow check timings: one primary UP, no read-only session, no write lost', async () => {
  cluster = await startE2eCluster('e2e-router-haproxy');
  const local = cluster;
  let primary = local.member(await waitForHealthyCluster(local, 60_000));
  await withClient(primary, (client) =>
    client.query('CREATE TABLE router_writes (id bigserial PRIMARY KEY, seq int NOT NULL)'),
  );
  const first = await startSlowCheckHaproxy(local, 'lb1');
  const second = await startSlowCheckHaproxy(local, 'lb2');
  proxies.push(first.haproxy, second.haproxy);
  nats = await connectClient(`nats://127.0.0.1:${local.options.ports.nats}`, 'router-test');
  const failures: Event[] = [];
  const events = await new NatroniClient(nats, { scope: local.options.scope }).events({
    kinds: ['router_update_failed'],
  });
  const collected = (async () => {
    for await (const { event } of events) failures.push(event);
  })();
  const routers = {
    retry_interval_ms: 300,
    haproxy: [
      haproxy(first, 'lb1'),
      haproxy(second, 'lb2'),
      haproxy({ statsSocket: `${local.options.baseDir}/no-such.sock` }, 'lb-missing'),
    ],
    pgbouncer: [
      {
        name: 'pool-missing',
        admin: `postgresql://admin@127.0.0.1:1/pgbouncer`,
        databases_file: `${local.options.baseDir}/pool-missing.ini`,
        databases: { appdb: 'dbname=postgres' },
      },
    ],
  };
  updater = await startRouterUpdater(local, routers);
  for (const instance of [first, second]) {
    await waitUntil(
      async () => (await writesOn(instance.primaryPort)) === primary.ports.postgres || undefined,
      {
        timeoutMs: 10_000,
        intervalMs: 100,
        what: `the updater to open HAProxy's primary port to ${primary.name}`,
      },
    );
  }

  const writer = new SessionWriter(first.primaryPort, 'router_writes');
  const watch = new PrimaryBackendWatch([first.statsSocket, second.statsSocket]);
  try {
    for (let round = 0; round < 10; round += 1) {
      const candidate = local.members[(local.members.indexOf(primary) + 1) % local.members.length];
      // Each switchover starts from a settled cluster: the demoted primary streams again.
      await waitForHealthyCluster(local, 30_000);
      await switchover(local, primary.name, candidate.name);
      const before = writer.acknowledged.length;
      await waitUntil(
        async () =>
          writer.acknowledged
            .slice(before)
            .some((write) => write.port === candidate.ports.postgres) || undefined,
        {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: `a write through HAProxy acknowledged by the new primary ${candidate.name} (round ${round + 1})`,
        },
      );
      await waitUntil(
        async () => (await writesOn(second.primaryPort)) === candidate.ports.postgres || undefined,
        {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: `the second HAProxy to route writes to ${candidate.name} (round ${round + 1})`,
        },
      );
      primary = candidate;
    }
  } finally {
    await writer.stop();
    await watch.stop();
  }
  expect(watch.polls).toBeGreaterThan(100);
  expect(watch.doubles).toEqual([]);
  expect(writer.readOnly).toEqual([]);
  const stored = await withClient(primary, async (client) => {
    const result = await client.query<{ id: string; seq: number }>(
      'SELECT id, seq FROM router_writes',
    );
    return new Map(result.rows.map((row) => [String(row.id), row.seq]));
  });
  // At least one write on each new primary, checked round by round above.
  expect(writer.acknowledged.length).toBeGreaterThanOrEqual(10);
  expect(writer.acknowledged.filter((write) => stored.get(write.id) !== write.seq)).toEqual([]);

  // The routers that cannot be reached were reported, and tried again.
  const attempts = (router: string) =>
    failures
      .filter(
        (event) =>
          event.detail.case === 'routerUpdateFailed' && event.detail.value.router === router,
      )
      .map((event) =>
        event.detail.case === 'routerUpdateFailed' ? event.detail.value.attempt : 0,
      );
  expect(Math.max(0, ...attempts('lb-missing'))).toBeGreaterThan(1);
  expect(Math.max(0, ...attempts('pool-missing'))).toBeGreaterThan(1);

  // Killed during a switchover, the updater leaves HAProxy to its checks, which still converge.
  await waitForHealthyCluster(local, 30_000);
  const oldPrimary = primary;
  const candidate = local.members[(local.members.indexOf(primary) + 1) % local.members.length];
  const drained = waitUntil(
    async () =>
      ((await adminStates(first.statsSocket, 'primary').catch(() => undefined))?.get(
        oldPrimary.name,
      ) ?? 0) & DRAIN || undefined,
    { timeoutMs: 10_000, intervalMs: 5, what: `the updater to drain ${oldPrimary.name}` },
  ).then(() => updater?.kill());
  await switchover(local, oldPrimary.name, candidate.name);
  await drained;
  await waitUntil(
    async () => (await writesOn(first.primaryPort)) === candidate.ports.postgres || undefined,
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `HAProxy's checks alone to route writes to ${candidate.name} with the updater dead`,
    },
  );
  // Started again, it puts the demoted primary back under its checks (ready again, and DOWN).
  updater = await startRouterUpdater(
    local,
    { haproxy: [haproxy(first, 'lb1')] },
    'router-updater-2',
  );
  await waitUntil(
    async () => {
      const admin = (await adminStates(first.statsSocket, 'primary')).get(oldPrimary.name);
      const status = (await serverStatuses(first.statsSocket)).get(`primary/${oldPrimary.name}`);
      return admin === 0 && status?.startsWith('DOWN') ? status : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `${oldPrimary.name} to be ready and DOWN again` },
  );
  events.stop();
  await collected;
}, 150_000);

test('an unplanned failover: the updater moves HAProxy to the new primary, whose checks are minutes apart', async () => {
  const local = cluster;
  if (!local) throw new Error('the cluster of the first test did not start');
  const old = local.member(await waitForHealthyCluster(local, 30_000));
  // At these timings the checks alone would need minutes to move the primary port.
  const lb = await startSlowCheckHaproxy(local, 'lb-failover', 'inter 60s fall 3 rise 2');
  proxies.push(lb.haproxy);
  updater?.kill();
  updater = await startRouterUpdater(local, { haproxy: [haproxy(lb, 'lb3')] }, 'router-updater-3');
  await waitUntil(
    async () => (await writesOn(lb.primaryPort)) === old.ports.postgres || undefined,
    {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: `the updater to open the primary port to ${old.name}`,
    },
  );
  const watch = new PrimaryBackendWatch([lb.statsSocket]);
  try {
    const pid = await local.postmasterPid(old);
    old.election.kill();
    old.agent.kill();
    if (pid) process.kill(pid, 'SIGKILL');
    const reached = await waitUntil(
      async () => {
        const port = await writesOn(lb.primaryPort);
        return port !== undefined && port !== old.ports.postgres ? port : undefined;
      },
      {
        timeoutMs: 40_000,
        intervalMs: 100,
        what: `HAProxy to route writes to a new primary after ${old.name} was killed`,
      },
    );
    expect(local.members.map((member) => member.ports.postgres)).toContain(reached);
    const statuses = await serverStatuses(lb.statsSocket);
    expect(statuses.get(`primary/${old.name}`)).toMatch(/^DOWN/);
  } finally {
    await watch.stop();
  }
  expect(watch.polls).toBeGreaterThan(10);
  expect(watch.doubles).toEqual([]);
}, 90_000);
