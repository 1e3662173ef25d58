import {
  freePort,
  ServiceProcess,
  waitUntil,
  type LocalCluster,
} from '../../libs/harness/src/index.ts';
import { clusterEnvironment } from '../../libs/harness/src/index.ts';
import { postgresStateNumberOfLabel } from '../../libs/domain/src/index.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries } from '../support/postgres-probe.ts';
import { parsePrometheusText, sampleValue, type Sample } from '../support/prometheus-text.ts';

const SCOPE = 'e2e-metrics';
const TTL_MS = E2E_TTL_SECONDS * 1000;
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

let cluster: LocalCluster;
let restarted: ServiceProcess | undefined;

beforeAll(async () => {
  cluster = await startE2eCluster(SCOPE);
  await waitForHealthyCluster(cluster, 60_000);
}, 90_000);

afterAll(async () => {
  restarted?.kill();
  await disposeE2eCluster(cluster);
});

async function scrape(port = cluster.options.ports.metrics): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

const value = (samples: readonly Sample[], name: string, labels: Record<string, string> = {}) =>
  sampleValue(samples, name, { scope: SCOPE, ...labels }) ?? 0;

/** Waits until a scrape satisfies `accept`; returns that scrape. */
function scrapeUntil(accept: (samples: Sample[]) => boolean, what: string, port?: number) {
  return waitUntil(
    async () => {
      const samples = await scrape(port);
      return accept(samples) ? samples : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what },
  );
}

async function waitForNewPrimary(old: string): Promise<string> {
  return waitUntil(
    async () => {
      const found = await primaries(cluster);
      return found.length === 1 && found[0] !== old ? found[0] : undefined;
    },
    { timeoutMs: TTL_MS * 4, intervalMs: 50, what: `a primary other than ${old}` },
  );
}

type PatroniDocument = Record<string, unknown> & { xlog?: Record<string, unknown> };

/** The member's `/patroni` through its gateway listener, as Patroni's REST API answers it. */
async function patroniDocument(member: string): Promise<PatroniDocument> {
  const port = cluster.member(member).ports.restapi;
  const response = await fetch(`http://127.0.0.1:${port}/patroni`, {
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as PatroniDocument;
}

/** What each Patroni gauge must read for a member, by its `/patroni` document. */
function expectedGauges(document: PatroniDocument): Record<string, number> {
  const role = document['role'];
  const state = String(document['state']);
  return {
    patroni_postgres_running: state === 'running' ? 1 : 0,
    patroni_primary: role === 'primary' ? 1 : 0,
    patroni_replica: role === 'replica' ? 1 : 0,
    patroni_postgres_server_version: Number(document['server_version'] ?? 0),
    patroni_postgres_timeline: Number(document['timeline'] ?? 0),
    patroni_postgres_state: postgresStateNumberOfLabel(state),
    patroni_pending_restart: document['pending_restart'] === true ? 1 : 0,
    patroni_is_paused: document['pause'] === true ? 1 : 0,
    patroni_cluster_unlocked: document['cluster_unlocked'] === true ? 1 : 0,
    patroni_xlog_location: role === 'primary' ? Number(document.xlog?.['location'] ?? 0) : 0,
  };
}

async function expectGaugesMatchPatroni(): Promise<void> {
  const members = cluster.members.map((member) => member.name);
  // A WAL position can move between the two reads: retry until one pair of reads agrees.
  await waitUntil(
    async () => {
      const samples = await scrape();
      for (const member of members) {
        const expected = expectedGauges(await patroniDocument(member));
        for (const [name, wanted] of Object.entries(expected)) {
          const actual = value(samples, name, { member });
          if (actual !== wanted)
            throw new Error(`${member} ${name}: ${actual}, /patroni says ${wanted}`);
        }
      }
      return true;
    },
    { timeoutMs: 20_000, intervalMs: 250, what: "every member's gauges to match its /patroni" },
  );
}

test("every member's Patroni gauges match its /patroni, labelled {scope, member}", async () => {
  const samples = await scrape();
  for (const member of cluster.members) {
    expect(
      sampleValue(samples, 'patroni_version', { scope: SCOPE, member: member.name }),
    ).toBeGreaterThan(0);
  }
  await expectGaugesMatchPatroni();
  expect(value(samples, 'natroni_lease_renewals_total', {})).toBeGreaterThanOrEqual(0);
});

test('a switchover moves the switchover counter and histogram', async () => {
  const before = await scrape();
  const [leader] = await primaries(cluster);
  const candidate = cluster.members.find((member) => member.name !== leader)?.name ?? '';
  const response = await fetch(`http://127.0.0.1:${cluster.members[0].ports.gateway}/switchover`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ leader, candidate }),
    signal: AbortSignal.timeout(60_000),
  });
  expect({ status: response.status, text: await response.text() }).toEqual({
    status: 200,
    text: expect.stringContaining(candidate),
  });
  const completed = { outcome: 'completed' };
  const after = await scrapeUntil(
    (samples) =>
      value(samples, 'natroni_switchovers_total', completed) ===
      value(before, 'natroni_switchovers_total', completed) + 1,
    'natroni_switchovers_total{outcome="completed"} to grow by one',
  );
  expect(value(after, 'natroni_switchover_duration_seconds_count', completed)).toBe(
    value(before, 'natroni_switchover_duration_seconds_count', completed) + 1,
  );
  expect(value(after, 'natroni_switchover_duration_seconds_sum', completed)).toBeGreaterThan(
    value(before, 'natroni_switchover_duration_seconds_sum', completed),
  );
  expect(value(after, 'natroni_lease_changes_total', { member: candidate })).toBeGreaterThan(
    value(before, 'natroni_lease_changes_total', { member: candidate }),
  );
  await waitForHealthyCluster(cluster, 60_000);
  await expectGaugesMatchPatroni();
});

test('a failover moves the failover counter and histogram; lease renewals are counted', async () => {
  const before = await scrape();
  const [leader] = await primaries(cluster);
  const old = cluster.member(leader);
  const pid = await cluster.postmasterPid(old);
  old.election.kill();
  old.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
  const promoted = await waitForNewPrimary(leader);

  const completed = { outcome: 'completed' };
  const after = await scrapeUntil(
    (samples) =>
      value(samples, 'natroni_failovers_total', completed) ===
      value(before, 'natroni_failovers_total', completed) + 1,
    'natroni_failovers_total{outcome="completed"} to grow by one',
  );
  expect(value(after, 'natroni_failover_duration_seconds_count', completed)).toBe(
    value(before, 'natroni_failover_duration_seconds_count', completed) + 1,
  );
  expect(value(after, 'natroni_lease_changes_total', { member: promoted })).toBeGreaterThan(
    value(before, 'natroni_lease_changes_total', { member: promoted }),
  );
  expect(value(after, 'natroni_events_total', { kind: 'failover' })).toBeGreaterThan(0);
  const renewals = await scrapeUntil(
    (samples) => value(samples, 'natroni_lease_renewals_total', { member: promoted }) > 0,
    `lease renewals by ${promoted} to be counted`,
  );
  expect(value(renewals, 'natroni_lease_renewal_latency_seconds_count', { member: promoted })).toBe(
    value(renewals, 'natroni_lease_renewals_total', { member: promoted }),
  );

  await cluster.restart(old, 'agent');
  await cluster.restart(old, 'election');
  await waitForHealthyCluster(cluster, 90_000);
  await expectGaugesMatchPatroni();
});

test('a metrics service started afterwards rebuilds the counters from the event stream', async () => {
  const current = await scrape();
  restarted = ServiceProcess.start({
    app: 'metrics',
    repoDir: cluster.options.repoDir,
    httpPort: await freePort(),
    env: clusterEnvironment(cluster.options, cluster.nats.url),
  });
  await restarted.healthWith(200, 30_000);
  const rebuilt = await scrape(restarted.httpPort);
  for (const [name, labels] of [
    ['natroni_failovers_total', { outcome: 'completed' }],
    ['natroni_switchovers_total', { outcome: 'completed' }],
    ['natroni_failover_duration_seconds_count', { outcome: 'completed' }],
    ['natroni_events_total', { kind: 'leader_elected' }],
  ] as const) {
    expect([name, value(rebuilt, name, labels)]).toEqual([name, value(current, name, labels)]);
  }
});
