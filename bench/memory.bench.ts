/**
 * Resident memory (RSS) of a 3-member local cluster's processes, natroni's and nats-server's (PostgreSQL
 * excluded): once the cluster has settled, after a steady state, and after a series of switchovers. A
 * process that grew by more than 10 % between the first and the last sample is flagged as a leak to
 * look for. Patroni's figures on the same machine kind are printed beside.
 *
 *   npm run bench:memory      (LAYOUT=per-node, STEADY_S=300, SWITCHOVERS=50 by default;
 *                              LAYOUT=per-service runs an agent, an election and a gateway per member)
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchClusterOptions } from './bench-cluster.ts';
import {
  freeClusterPorts,
  LocalCluster,
  waitUntil,
  type LocalMember,
  type ProcessLayout,
} from '../libs/harness/src/index.ts';
import { MemberWatch } from '../test/support/member-watch.ts';

const LAYOUT = (process.env.LAYOUT ?? 'per-node') as ProcessLayout;
const STEADY_S = Number(process.env.STEADY_S ?? 300);
const SWITCHOVERS = Number(process.env.SWITCHOVERS ?? 50);
/** Extra `node` arguments for every natroni process, space-separated (default: the local cluster's). */
const NODE_ARGS = process.env.NODE_ARGS?.split(' ').filter((argument) => argument !== '');
const SETTLE_S = 10;
const GROWTH_LIMIT = 0.1;
/** Patroni 3.0.2 with etcd on the same machine kind, 3 nodes. */
const PATRONI = { perNodeMb: 61, etcdMb: 32, totalMb: 216 };
const watch = new MemberWatch();

type Sample = Map<string, number>;

async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

/** Every distinct process of the cluster by label: `pg1 node-agent`, ..., `nats-server`. */
function processes(cluster: LocalCluster): Map<string, number | undefined> {
  const found = new Map<string, number | undefined>();
  const seen = new Set<number | undefined>();
  for (const member of cluster.members) {
    for (const service of [member.agent, member.election, member.gateway]) {
      if (seen.has(service.pid)) continue;
      seen.add(service.pid);
      found.set(`${member.name} ${service.app}`, service.pid);
    }
  }
  found.set('nats-server', cluster.nats.pid);
  return found;
}

async function sample(cluster: LocalCluster): Promise<Sample> {
  const result: Sample = new Map();
  for (const [label, pid] of processes(cluster)) result.set(label, await rssMb(pid));
  return result;
}

const total = (values: Iterable<number>) => [...values].reduce((sum, value) => sum + value, 0);

function nodeTotal(values: Sample, member: string): number {
  return total([...values].filter(([label]) => label.startsWith(`${member} `)).map(([, mb]) => mb));
}

async function primary(cluster: LocalCluster): Promise<LocalMember> {
  return waitUntil(
    async () => {
      const found = [];
      for (const member of cluster.members)
        if ((await watch.inRecovery(member)) === false) found.push(member);
      if (found.length !== 1) return undefined;
      const streaming = await watch.streamingReplicas(found[0]);
      return streaming.length === cluster.members.length - 1 ? found[0] : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, what: 'one primary with every replica streaming' },
  );
}

/** Switchovers the gateway refused with 503 and the bench asked again; printed with the figures. */
let refusedSwitchovers = 0;

/**
 * One switchover to the first replica. The election refuses one (503) while a member has not yet
 * published its state since the last one; the request is then repeated, at most five times.
 */
async function switchover(cluster: LocalCluster): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const leader = await primary(cluster);
    const candidate = cluster.members.find((member) => member !== leader)!;
    const response = await fetch(`http://127.0.0.1:${leader.ports.restapi}/switchover`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      body: JSON.stringify({ leader: leader.name, candidate: candidate.name }),
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status === 503 && attempt < 5) {
      refusedSwitchovers += 1;
      await new Promise((done) => setTimeout(done, 2_000));
      continue;
    }
    if (response.status !== 200)
      throw new Error(`POST /switchover answered ${response.status}: ${await response.text()}`);
    await waitUntil(async () => ((await primary(cluster)) === candidate ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `${candidate.name} primary after the switchover`,
    });
    return;
  }
}

function report(cluster: LocalCluster, samples: [string, Sample][]): void {
  const labels = [...samples[0][1].keys()];
  const width = 46;
  const column = (text: string) => text.padStart(18);
  console.log(`\n${''.padEnd(width)}${samples.map(([name]) => column(name)).join('')}   growth`);
  for (const label of labels) {
    const values = samples.map(([, values]) => values.get(label) ?? 0);
    const growth = values[values.length - 1] / values[0] - 1;
    const flag = growth > GROWTH_LIMIT ? '  > 10 %: a leak to find' : '';
    console.log(
      `${label.padEnd(width)}${values.map((mb) => column(`${mb.toFixed(0)} MB`)).join('')}   ` +
        `${(growth * 100).toFixed(1)} %${flag}`,
    );
  }
  for (const member of cluster.members) {
    const values = samples.map(([, values]) => nodeTotal(values, member.name));
    console.log(
      `${`${member.name}: natroni processes`.padEnd(width)}` +
        `${values.map((mb) => column(`${mb.toFixed(0)} MB`)).join('')}   (Patroni: ${PATRONI.perNodeMb} MB)`,
    );
  }
  const totals = samples.map(([, values]) => total(values.values()));
  console.log(
    `${'total with nats-server'.padEnd(width)}${totals.map((mb) => column(`${mb.toFixed(0)} MB`)).join('')}` +
      `   (Patroni: ${PATRONI.totalMb} MB, 3 x ${PATRONI.perNodeMb} + etcd ${PATRONI.etcdMb})`,
  );
}

async function main(): Promise<void> {
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-bench-memory-'));
  await chmod(baseDir, 0o755);
  const cluster = await LocalCluster.start({
    ...benchClusterOptions(baseDir, 'bench-memory', await freeClusterPorts(3)),
    layout: LAYOUT,
    ...(NODE_ARGS === undefined ? {} : { nodeArguments: NODE_ARGS }),
  });
  try {
    console.log(`natroni memory, ${LAYOUT} layout, resident set size (RSS) of each process`);
    await primary(cluster);
    await new Promise((done) => setTimeout(done, SETTLE_S * 1000));
    const samples: [string, Sample][] = [['settled', await sample(cluster)]];
    await new Promise((done) => setTimeout(done, STEADY_S * 1000));
    samples.push([`+${STEADY_S} s steady`, await sample(cluster)]);
    for (let run = 0; run < SWITCHOVERS; run += 1) await switchover(cluster);
    await primary(cluster);
    samples.push([`+${SWITCHOVERS} switchovers`, await sample(cluster)]);
    report(cluster, samples);
    console.log(`switchovers refused with 503 and asked again: ${refusedSwitchovers}`);
  } finally {
    await cluster.stop();
    await watch.close();
    await rm(baseDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
