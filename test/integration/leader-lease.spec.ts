import type { NatsConnection } from '@nats-io/transport-node';
import { create } from '@bufbuild/protobuf';
import {
  ClusterKeys,
  ClusterStore,
  LeaderLease,
  RevisionConflictError,
} from '../../libs/dcs/src/index.ts';
import { NatsServerProcess } from '../../libs/harness/src/index.ts';
import { LeaseRecordSchema } from '../../libs/proto/src/index.ts';
import { connectClient, uniqueScope } from '../support/nats-clients.ts';
import { rawBucket } from '../support/raw-bucket.ts';

interface Contender {
  connection: NatsConnection;
  store: ClusterStore;
  lease: LeaderLease;
}

let nats: NatsServerProcess;
const opened: Contender[] = [];

async function contenders(scope: string, count: number, ttlMs: number): Promise<Contender[]> {
  const created: Contender[] = [];
  for (let index = 1; index <= count; index += 1) {
    const member = `pg${index}`;
    const connection = await connectClient(nats.url, `${scope}-${member}`);
    const store = await ClusterStore.open(connection, {
      namespace: 'natroni',
      scope,
      requestTimeoutMs: 2_000,
    });
    const lease = new LeaderLease(store, { member, ttlMs });
    await lease.start();
    created.push({ connection, store, lease });
  }
  opened.push(...created);
  return created;
}

/**
 * Attempts until acquired, waking on every change of the key or when a takeover falls due. Returns
 * the sighting of the revision the winning attempt replaced, timed on this contender's clock.
 */
async function acquireWhenDue(
  lease: LeaderLease,
  giveUpAfterMs: number,
): Promise<{ term: number; sentAt: number; replacedSeenAt: number | undefined }> {
  const giveUpAt = performance.now() + giveUpAfterMs;
  for (;;) {
    const replacedSeenAt = lease.observed()?.seenAt;
    const result = await lease.attempt();
    if (result.acquired) return { term: result.term, sentAt: result.sentAt, replacedSeenAt };
    if (performance.now() > giveUpAt) {
      throw new Error(`${lease.member} did not acquire the lease within ${giveUpAfterMs} ms`);
    }
    await lease.changed(Math.min(result.retryAt, giveUpAt));
  }
}

function keepRenewing(
  lease: LeaderLease,
  everyMs: number,
): { stop: () => void; outcomes: string[] } {
  const outcomes: string[] = [];
  let running = true;
  void (async () => {
    while (running) {
      outcomes.push((await lease.renew()).outcome);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return { stop: () => (running = false), outcomes };
}

beforeAll(async () => {
  nats = await NatsServerProcess.start();
});

afterEach(async () => {
  for (const contender of opened.splice(0)) {
    contender.lease.stop();
    await contender.connection.close();
  }
});

afterAll(async () => {
  await nats?.dispose();
});

test('exactly one of four contenders wins each create race, 50 rounds, with a new term each round', async () => {
  const racers = await contenders(uniqueScope('race'), 4, 10_000);
  for (let round = 1; round <= 50; round += 1) {
    const results = await Promise.all(racers.map(({ lease }) => lease.attempt()));
    const winners = results.flatMap((result, index) =>
      result.acquired ? [{ index, term: result.term }] : [],
    );
    expect(winners).toHaveLength(1);
    expect(winners[0].term).toBe(round);
    expect(await racers[winners[0].index].lease.release()).toBe(true);
  }
});

test('a holder that stops renewing loses to a contender after ttl, and its own deadline passes first', async () => {
  const ttlMs = 3_000;
  const [holder, contender] = await contenders(uniqueScope('takeover'), 2, ttlMs);
  const first = await holder.lease.attempt();
  expect(first.acquired).toBe(true);
  const renewals = keepRenewing(holder.lease, 500);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  renewals.stop();
  let holderLostAt: number | undefined;
  holder.lease.onLost(() => (holderLostAt = performance.now()));
  await new Promise((resolve) => setTimeout(resolve, 600));
  const holderDeadline = holder.lease.held()?.validUntil;
  expect(holderDeadline).toBeDefined();

  const won = await acquireWhenDue(contender.lease, ttlMs * 3);
  expect(renewals.outcomes.length).toBeGreaterThanOrEqual(2);
  expect(renewals.outcomes.every((outcome) => outcome === 'renewed')).toBe(true);
  expect(won.term).toBe(first.acquired ? first.term + 1 : Number.NaN);
  expect(won.replacedSeenAt).toBeDefined();
  const takeoverDelay = won.sentAt - won.replacedSeenAt!;
  expect(takeoverDelay).toBeGreaterThanOrEqual(ttlMs);
  expect(takeoverDelay).toBeLessThanOrEqual(ttlMs + 1_000);
  expect(holderLostAt).toBeDefined();
  expect(holderLostAt!).toBeLessThan(won.sentAt);
  expect(holderDeadline!).toBeLessThan(won.sentAt);
  expect(holder.lease.held()).toBeUndefined();
});

test('a renewal on a stale revision fails and the holder learns it lost', async () => {
  const [holder, intruder] = await contenders(uniqueScope('stale'), 2, 10_000);
  const acquired = await holder.lease.attempt();
  if (!acquired.acquired) throw new Error('the holder should have acquired a free lease');
  const lost: string[] = [];
  holder.lease.onLost((reason) => lost.push(reason));

  const record = create(LeaseRecordSchema, { member: 'pg2', term: acquired.term + 1, ttl: 10 });
  await intruder.store.update(ClusterKeys.leader, record, acquired.revision);
  await expect(
    intruder.store.update(ClusterKeys.leader, record, acquired.revision),
  ).rejects.toBeInstanceOf(RevisionConflictError);

  const renewal = await holder.lease.renew();
  expect(renewal.outcome).toBe('lost');
  expect(lost).toHaveLength(1);
  expect(lost[0]).toContain('pg2');
  expect(holder.lease.held()).toBeUndefined();
});

test('a release lets a waiting contender acquire at once, with the next term', async () => {
  const ttlMs = 20_000;
  const [holder, waiter] = await contenders(uniqueScope('release'), 2, ttlMs);
  const first = await holder.lease.attempt();
  if (!first.acquired) throw new Error('the holder should have acquired a free lease');
  const waiting = acquireWhenDue(waiter.lease, ttlMs * 2);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const releasedAt = performance.now();
  expect(await holder.lease.release()).toBe(true);
  const won = await waiting;
  // Far sooner than the ttl a takeover would have needed: the waiter acted on the delete itself.
  expect(won.sentAt - releasedAt).toBeLessThan(ttlMs / 4);
  expect(won.term).toBe(first.term + 1);
});

test('the lease survives a nats-server restart shorter than ttl minus margin, with no takeover', async () => {
  const ttlMs = 10_000;
  const [holder, contender] = await contenders(uniqueScope('restart'), 2, ttlMs);
  const first = await holder.lease.attempt();
  if (!first.acquired) throw new Error('the holder should have acquired a free lease');
  const lost: string[] = [];
  holder.lease.onLost((reason) => lost.push(reason));
  const renewals = keepRenewing(holder.lease, 1_000);
  let contenderWon = false;
  void acquireWhenDue(contender.lease, ttlMs * 3).then(
    () => (contenderWon = true),
    () => undefined,
  );

  await new Promise((resolve) => setTimeout(resolve, 1_200));
  await nats.restart();
  // Long enough that a takeover would have happened had the renewals not resumed.
  await new Promise((resolve) => setTimeout(resolve, ttlMs * 1.5));
  renewals.stop();

  expect(lost).toEqual([]);
  expect(contenderWon).toBe(false);
  expect(holder.lease.held()?.term).toBe(first.term);
  expect(renewals.outcomes.slice(-3)).toEqual(['renewed', 'renewed', 'renewed']);
});

test('a lease deleted or garbled by hand is taken over with a higher term, never reused', async () => {
  const ttlMs = 1_000;
  const [first, second, third] = await contenders(uniqueScope('by-hand'), 3, ttlMs);
  const held = await first.lease.attempt();
  if (!held.acquired) throw new Error('the first member should have acquired a free lease');

  await (await rawBucket(second.connection, second.store)).delete('leader');
  const afterDelete = await second.lease.attempt();
  expect(afterDelete).toMatchObject({ acquired: true, term: held.term + 1 });
  const secondLost: string[] = [];
  second.lease.onLost((reason) => secondLost.push(reason));

  await (await rawBucket(third.connection, third.store)).put('leader', 'not a lease');
  const garbled = await third.lease.attempt();
  expect(garbled).toMatchObject({ acquired: false, holder: undefined });
  const retaken = await acquireWhenDue(third.lease, ttlMs * 3);
  expect(retaken.term).toBe(held.term + 2);
  expect(retaken.sentAt - retaken.replacedSeenAt!).toBeGreaterThanOrEqual(ttlMs);
  expect(secondLost).toEqual(['the leader key holds a malformed value']);
});

test('a hold that lapsed without renewals is reclaimed with the same term while nobody wrote the key', async () => {
  const ttlMs = 1_000;
  const [holder] = await contenders(uniqueScope('reclaim'), 1, ttlMs);
  const first = await holder.lease.attempt();
  if (!first.acquired) throw new Error('the holder should have acquired a free lease');
  const losses: [string, boolean][] = [];
  holder.lease.onLost((reason, lapsed) => losses.push([reason, lapsed]));
  await new Promise((resolve) => setTimeout(resolve, ttlMs + 200));

  expect(holder.lease.held()).toBeUndefined();
  expect(losses).toEqual([[expect.stringContaining('deadline'), true]]);
  expect(holder.lease.lapsedTerm()).toBe(first.term);
  const reclaimed = await holder.lease.reclaim();
  expect(reclaimed).toMatchObject({ acquired: true, term: first.term });
  expect(holder.lease.held()?.term).toBe(first.term);
  expect(holder.lease.lapsedTerm()).toBeUndefined();
});

test('a lapsed hold is not reclaimed once a contender has taken the key over', async () => {
  const ttlMs = 1_000;
  const [holder, contender] = await contenders(uniqueScope('no-reclaim'), 2, ttlMs);
  const first = await holder.lease.attempt();
  if (!first.acquired) throw new Error('the holder should have acquired a free lease');
  const losses: boolean[] = [];
  holder.lease.onLost((_reason, lapsed) => losses.push(lapsed));
  const won = await acquireWhenDue(contender.lease, ttlMs * 4);
  expect(won.term).toBe(first.term + 1);
  // The holder's watch may or may not have delivered the takeover yet: either way, no reclaim.
  const reclaimed = await holder.lease.reclaim();
  expect(reclaimed.acquired).toBe(false);
  expect(holder.lease.lapsedTerm()).toBeUndefined();
  expect(losses[0]).toBe(true);
  expect((await contender.store.get(ClusterKeys.leader))?.value.member).toBe('pg2');
});

test("a new run of the holder's election resumes its lease with the same term; a key written since cannot be resumed", async () => {
  const ttlMs = 3_000;
  const scope = uniqueScope('resume');
  const [first] = await contenders(scope, 1, ttlMs);
  const held = await first.lease.attempt();
  expect(held.acquired).toBe(true);
  first.lease.stop();

  // The restarted election: the same member, a new process (a new lease object).
  const connection = await connectClient(nats.url, `${scope}-pg1-again`);
  const store = await ClusterStore.open(connection, { namespace: 'natroni', scope });
  const again = new LeaderLease(store, { member: 'pg1', ttlMs });
  await again.start();
  opened.push({ connection, store, lease: again });
  const { reading, revision } = await again.read();
  expect(reading).toEqual({ kind: 'held', member: 'pg1', term: 1 });
  const resumed = await again.resume(1, revision);
  expect(resumed).toMatchObject({ acquired: true, term: 1 });
  expect(again.held()?.term).toBe(1);
  const renewed = await again.renew();
  expect(renewed).toMatchObject({ outcome: 'renewed', term: 1 });

  // A stale read: the key changed since (here, a renewal), so the compare-and-set refuses.
  const stale = new LeaderLease(store, { member: 'pg1', ttlMs });
  expect(await stale.resume(1, revision)).toMatchObject({ acquired: false });
});

test('a leader key naming this member with a record that does not decode reads as undecodable', async () => {
  const scope = uniqueScope('undecodable');
  const [contender] = await contenders(scope, 1, 3_000);
  const bucket = await rawBucket(contender.connection, contender.store);
  await bucket.put('leader', JSON.stringify({ member: 'pg1', term: 'seven' }));
  expect((await contender.lease.read()).reading).toEqual({
    kind: 'undecodable',
    namesMember: 'pg1',
  });
});
