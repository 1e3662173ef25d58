import { readdirSync, readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterStore } from '../../libs/dcs/src/index.ts';
import { unansweredBoundMs } from '../../libs/domain/src/index.ts';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import { AcknowledgedWriter } from '../support/acknowledged-writer.ts';
import { enableSynchronousMode } from '../support/synchronous-mode.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { isReplica, primaries, streamingReplicas } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-frozen';
const TTL_MS = E2E_TTL_SECONDS * 1000;

let cluster: LocalCluster;
let connection: NatsConnection;
let store: ClusterStore;

beforeAll(async () => {
  cluster = await startE2eCluster(SCOPE);
  connection = await connect({ servers: cluster.nats.url });
  store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  await disposeE2eCluster(cluster);
});

/** The postmaster and its children, as a hung disk or `kill -STOP` of the whole instance stops them. */
function instanceProcesses(postmasterPid: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmasterPid;
      } catch {
        return false;
      }
    });
  return [postmasterPid, ...children];
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone (the agent's fence killed it).
    }
  }
}

test('a primary whose PostgreSQL stops answering for longer than ttl is fenced, a synchronous standby takes over with every acknowledged write, and the frozen node rejoins as a replica', async () => {
  const leader = cluster.member(await waitForHealthyCluster(cluster, 60_000));
  const standby = await enableSynchronousMode(store, leader.name);
  await AcknowledgedWriter.prepare(cluster, leader.name);
  const writer = new AcknowledgedWriter(cluster);
  await waitUntil(() => (writer.acknowledged.length >= 100 ? true : undefined), {
    timeoutMs: 20_000,
    what: '100 rows acknowledged by the synchronous primary',
  });

  const frozen = instanceProcesses((await cluster.postmasterPid(leader))!);
  const frozenAt = performance.now();
  signalAll(frozen, 'SIGSTOP');
  let promoted: string;
  try {
    promoted = await waitUntil(
      async () => {
        const found = (await primaries(cluster)).filter((name) => name !== leader.name);
        return found.length === 1 ? found[0] : undefined;
      },
      {
        timeoutMs: unansweredBoundMs(TTL_MS) + TTL_MS * 2,
        intervalMs: 50,
        what: `a primary other than the frozen ${leader.name}`,
      },
    );
    console.log(
      `frozen PostgreSQL: ${promoted} writable ${Math.round(performance.now() - frozenAt)} ms after the freeze`,
    );
    // The freeze lasts longer than ttl, as the fault it stands for would.
    const remaining = TTL_MS + 1_000 - (performance.now() - frozenAt);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
  } finally {
    signalAll(frozen, 'SIGCONT');
  }
  expect(promoted).toBe(standby);
  // The agent fenced with SIGKILL: nothing of the frozen instance survives its thaw.
  expect(frozen.filter((pid) => readState(pid) !== undefined)).toEqual([]);

  expect(await waitForHealthyCluster(cluster, 90_000)).toBe(promoted);
  expect(await isReplica(leader)).toBe(true);
  expect(await streamingReplicas(cluster.member(promoted))).toContain(leader.name);
  await writer.stop();
  expect(await writer.missingOn(promoted)).toEqual([]);
}, 240_000);

/** A live process's state letter (R, S, T, ...); undefined once it has exited (or is a zombie). */
function readState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' ? undefined : state;
  } catch {
    return undefined;
  }
}
