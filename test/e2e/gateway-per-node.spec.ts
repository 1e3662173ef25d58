import { join } from 'node:path';
import {
  freePort,
  waitUntil,
  type LocalCluster,
  type LocalMember,
} from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { haproxyConfigFor, HaproxyProcess, serverStatuses } from '../support/haproxy-process.ts';
import { HaproxyWriter } from '../support/haproxy-writer.ts';
import { withClient } from '../support/postgres-probe.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';

/**
 * Each member's own gateway, as each Patroni node has its REST API: HAProxy with Patroni's recipe in
 * front of the local cluster, one member's gateway frozen at a time (SIGSTOP), then a member killed,
 * then NATS stopped. The tests run in order on one cluster; each leaves it as the next expects.
 */
const TTL_MS = E2E_TTL_SECONDS * 1000;
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
// HAProxy checks every 200 ms (the test's recipe) and gives up on an answer after 1 s: a frozen
// gateway accepts the connection but never answers, so two failed checks (fall 2) take about 2.4 s.
const CHECK_TIMEOUT = '1s';
const FREEZE_MS = 6_000;
// After SIGCONT the frozen gateway answers the check it holds, and one good check (rise 1) brings the
// server back: within one check interval and timeout, whatever the machine's load adds.
const RECOVERY_BOUND_MS = 2_000;

let cluster: LocalCluster | undefined;
let haproxy: HaproxyProcess | undefined;
let primary: LocalMember;
let replicas: LocalMember[];
let ports: { primary: number; replicas: number };
let statsSocket: string;

beforeAll(async () => {
  cluster = await startE2eCluster('e2e-gateway-per-node');
  const local = cluster;
  primary = local.member(await waitForHealthyCluster(local, 60_000));
  replicas = local.members.filter((member) => member !== primary);
  await withClient(primary, (client) =>
    client.query('CREATE TABLE haproxy_writes (id bigserial PRIMARY KEY, seq int NOT NULL)'),
  );
  ports = { primary: await freePort(), replicas: await freePort() };
  statsSocket = join(local.options.baseDir, 'haproxy.sock');
  haproxy = await HaproxyProcess.start(
    local.options.baseDir,
    await haproxyConfigFor(local, ports, { checkTimeout: CHECK_TIMEOUT, statsSocket }),
  );
  await waitUntil(
    async () => {
      if (haproxy?.exited) throw new Error(`haproxy exited: ${haproxy.recentOutput}`);
      const statuses = await serverStatuses(statsSocket).catch(() => undefined);
      return statuses && sameStatuses(statuses, expectedStatuses()) ? statuses : undefined;
    },
    {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: `HAProxy to see ${primary.name} UP as primary and the others UP as replicas`,
    },
  );
}, 120_000);

afterAll(async () => {
  for (const member of cluster?.members ?? []) signal(member, 'SIGCONT');
  await haproxy?.stop();
  await disposeE2eCluster(cluster);
});

function local(): LocalCluster {
  if (!cluster) throw new Error('the cluster did not start');
  return cluster;
}

function signal(member: LocalMember, name: NodeJS.Signals): void {
  const pid = member.gateway.pid;
  if (pid !== undefined && !member.gateway.exited) process.kill(pid, name);
}

/** What HAProxy should see when every gateway answers, optionally with `down` frozen. */
function expectedStatuses(down?: LocalMember): Map<string, string> {
  const expected = new Map<string, string>();
  for (const member of local().members) {
    const up = member !== down;
    expected.set(`primary/${member.name}`, up && member === primary ? 'UP' : 'DOWN');
    expected.set(`replicas/${member.name}`, up && member !== primary ? 'UP' : 'DOWN');
  }
  return expected;
}

function sameStatuses(actual: Map<string, string>, expected: Map<string, string>): boolean {
  return [...expected].every(([server, status]) => actual.get(server) === status);
}

/** Samples HAProxy's server statuses every 50 ms until stopped. */
class StatusRecorder {
  readonly samples: { at: number; statuses: Map<string, string> }[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor() {
    this.done = (async () => {
      while (this.running) {
        const statuses = await serverStatuses(statsSocket).catch(() => undefined);
        if (statuses) this.samples.push({ at: performance.now(), statuses });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Every server that was ever not UP while it should have been, with the status seen. */
  unexpectedDowns(expected: Map<string, string>, except: string[]): string[] {
    const seen = new Set<string>();
    for (const { statuses } of this.samples) {
      for (const [server, status] of expected) {
        if (except.includes(server) || status !== 'UP') continue;
        const actual = statuses.get(server) ?? 'missing';
        if (!actual.startsWith('UP')) seen.add(`${server} ${actual}`);
      }
    }
    return [...seen];
  }

  /** The longest stretch, in ms, in which the `primary` section had no server UP. */
  longestWithoutPrimary(): number {
    let longest = 0;
    let since: number | undefined;
    for (const { at, statuses } of this.samples) {
      const anyUp = [...statuses].some(
        ([server, status]) => server.startsWith('primary/') && status.startsWith('UP'),
      );
      if (anyUp) since = undefined;
      else {
        since ??= at;
        longest = Math.max(longest, at - since);
      }
    }
    return longest;
  }
}

async function freezeGateway(member: LocalMember): Promise<StatusRecorder> {
  const recorder = new StatusRecorder();
  signal(member, 'SIGSTOP');
  try {
    await waitUntil(
      async () => {
        const last = recorder.samples.at(-1)?.statuses;
        return last && sameStatuses(last, expectedStatuses(member)) ? true : undefined;
      },
      {
        timeoutMs: FREEZE_MS,
        intervalMs: 50,
        what: `HAProxy to mark ${member.name} DOWN while its gateway is frozen`,
      },
    );
    const frozenFor = FREEZE_MS - (performance.now() - (recorder.samples[0]?.at ?? 0));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, frozenFor)));
  } finally {
    signal(member, 'SIGCONT');
  }
  await waitUntil(
    async () => {
      const last = recorder.samples.at(-1)?.statuses;
      return last && sameStatuses(last, expectedStatuses()) ? true : undefined;
    },
    {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: `HAProxy to mark ${member.name} UP again once its gateway runs`,
    },
  );
  await recorder.stop();
  return recorder;
}

async function storedWrites(member: LocalMember): Promise<Map<string, number>> {
  return withClient(member, async (client) => {
    const result = await client.query<{ id: string; seq: number }>(
      'SELECT id, seq FROM haproxy_writes',
    );
    return new Map(result.rows.map((row) => [String(row.id), row.seq]));
  });
}

test("a replica's frozen gateway takes only that replica out; writes never fail", async () => {
  const frozen = replicas[0];
  const writer = new HaproxyWriter(ports.primary);
  let recorder: StatusRecorder;
  try {
    await waitUntil(async () => writer.acknowledged.length >= 10 || undefined, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: '10 writes acknowledged through HAProxy before the freeze',
    });
    recorder = await freezeGateway(frozen);
    await waitUntil(async () => writer.acknowledged.length >= 20 || undefined, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: '10 more writes acknowledged through HAProxy after the freeze',
    });
  } finally {
    await writer.stop();
  }
  expect(recorder.samples.length).toBeGreaterThan(10);
  expect(recorder.unexpectedDowns(expectedStatuses(), [`replicas/${frozen.name}`])).toEqual([]);
  expect(writer.failures).toBe(0);
  const stored = await storedWrites(primary);
  expect(writer.acknowledged.filter((write) => stored.get(write.id) !== write.seq)).toEqual([]);
}, 90_000);

test("the primary's frozen gateway leaves the primary port empty for the freeze at most; no write is lost", async () => {
  const writer = new HaproxyWriter(ports.primary);
  let recorder: StatusRecorder;
  try {
    await waitUntil(async () => writer.acknowledged.length >= 10 || undefined, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: '10 writes acknowledged through HAProxy before the freeze',
    });
    recorder = await freezeGateway(primary);
    const before = writer.acknowledged.length;
    await waitUntil(async () => writer.acknowledged.length >= before + 10 || undefined, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: '10 more writes acknowledged through HAProxy once the primary is back',
    });
  } finally {
    await writer.stop();
  }
  const withoutPrimary = recorder.longestWithoutPrimary();
  expect(withoutPrimary).toBeGreaterThan(0);
  expect(withoutPrimary).toBeLessThanOrEqual(FREEZE_MS + RECOVERY_BOUND_MS);
  expect(recorder.unexpectedDowns(expectedStatuses(), [`primary/${primary.name}`])).toEqual([]);
  // Every acknowledged write is on the primary, which kept its lease all along.
  const stored = await storedWrites(primary);
  expect(writer.acknowledged.filter((write) => stored.get(write.id) !== write.seq)).toEqual([]);
  expect(new Set(writer.acknowledged.map((write) => write.port))).toEqual(
    new Set([primary.ports.postgres]),
  );
}, 90_000);

async function clusterMembers(port: number): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${port}/cluster`, {
    signal: AbortSignal.timeout(2_000),
  });
  const document = (await response.json()) as { members: { name: string }[] };
  return document.members.map((member) => member.name);
}

async function statusOf(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(2_000),
  });
  await response.arrayBuffer();
  return response.status;
}

test('a member killed with kill -9 leaves /cluster on every other gateway within ttl + 1 s', async () => {
  const killed = replicas[1];
  const others = local().members.filter((member) => member !== killed);
  for (const member of others)
    expect(await clusterMembers(member.ports.restapi)).toContain(killed.name);
  const postmaster = await local().postmasterPid(killed);
  if (postmaster === undefined) throw new Error(`${killed.name}'s PostgreSQL is not running`);
  killed.agent.kill();
  killed.election.kill();
  process.kill(postmaster, 'SIGKILL');
  const killedAt = performance.now();
  await waitUntil(
    async () => {
      const listed = await Promise.all(
        others.map((member) => clusterMembers(member.ports.restapi)),
      );
      return listed.every((names) => !names.includes(killed.name)) || undefined;
    },
    {
      timeoutMs: TTL_MS + 1_000,
      intervalMs: 100,
      what: `${killed.name} to leave /cluster on every other gateway within ttl + 1 s`,
    },
  );
  const goneAfterMs = performance.now() - killedAt;
  // Its own gateway still runs, and says 503 for it.
  for (const path of ['/replica', '/health', '/read-only', '/liveness'])
    expect([path, await statusOf(killed.ports.restapi, path)]).toEqual([path, 503]);
  expect(await clusterMembers(killed.ports.restapi)).not.toContain(killed.name);
  // /v1/servers shows it Down, and the metrics service says its PostgreSQL is not running.
  const server = await fetch(
    `http://127.0.0.1:${others[0].ports.restapi}/v1/servers/${killed.name}`,
    {
      headers: { authorization: AUTH },
      signal: AbortSignal.timeout(2_000),
    },
  );
  const body = (await server.json()) as { data: { attributes: { state: string } } };
  expect(body.data.attributes.state).toContain('Down');
  await waitUntil(
    async () => {
      const response = await fetch(`http://127.0.0.1:${local().options.ports.metrics}/metrics`, {
        signal: AbortSignal.timeout(2_000),
      });
      const samples = parsePrometheusText(await response.text());
      return (
        sampleValue(samples, 'patroni_postgres_running', { name: killed.name }) === 0 || undefined
      );
    },
    { timeoutMs: 5_000, intervalMs: 200, what: `the metrics to say ${killed.name} is not running` },
  );
  // Never before ttl: the rule is the status's age, not a guess.
  expect(goneAfterMs).toBeGreaterThan(TTL_MS - 1_000 - 1_000);
}, 60_000);

test('a gateway cut from NATS answers 503 on /primary within ttl', async () => {
  expect(await statusOf(primary.ports.restapi, '/primary')).toBe(200);
  await local().nats.stop();
  await waitUntil(
    async () => {
      const codes = await Promise.all(
        local()
          .members.filter((member) => !member.gateway.exited)
          .map((member) => statusOf(member.ports.restapi, '/primary')),
      );
      return codes.every((code) => code === 503) || undefined;
    },
    {
      timeoutMs: TTL_MS,
      intervalMs: 100,
      what: 'every gateway to answer 503 on /primary within ttl of losing NATS',
    },
  );
}, 60_000);
