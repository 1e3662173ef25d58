import type { LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries } from '../support/postgres-probe.ts';

/** The per-node layout `npm start` uses: each member's agent, election and gateway in one process. */
let cluster: LocalCluster | undefined;

afterAll(async () => {
  await disposeE2eCluster(cluster);
});

test('a member per process bootstraps, switches over, and stops its PostgreSQL when it stops', async () => {
  cluster = await startE2eCluster('e2e-per-node', undefined, { layout: 'per-node' });
  const processes = new Set(
    cluster.members.flatMap((member) => [
      member.agent.pid,
      member.election.pid,
      member.gateway.pid,
    ]),
  );
  expect(processes.size).toBe(3);
  for (const member of cluster.members) {
    expect(member.agent.app).toMatch(/^node-agent\+election\+api-gateway/);
  }

  const leader = cluster.member(await waitForHealthyCluster(cluster, 60_000));
  const candidate = cluster.members.find((member) => member !== leader)!;
  const response = await fetch(`http://127.0.0.1:${leader.ports.restapi}/switchover`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    body: JSON.stringify({ leader: leader.name, candidate: candidate.name }),
    signal: AbortSignal.timeout(60_000),
  });
  expect(response.status).toBe(200);
  expect(await waitForHealthyCluster(cluster, 60_000)).toBe(candidate.name);
  expect(await primaries(cluster)).toEqual([candidate.name]);

  // Stopped again (a no-op) and its files removed by afterAll.
  await cluster.stop();
  for (const member of cluster.members) expect(await cluster.postmasterPid(member)).toBeUndefined();
}, 180_000);
