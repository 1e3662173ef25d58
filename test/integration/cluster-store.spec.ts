import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ClusterKeys,
  ClusterStore,
  ClusterWatch,
  MalformedValueError,
  memberKey,
  retryWithin,
  RevisionConflictError,
  type ClusterKey,
} from '../../libs/dcs/src/index.ts';
import { NatsServerProcess, waitUntil } from '../../libs/harness/src/index.ts';
import {
  ClusterStatusSchema,
  DynamicConfigSchema,
  FailoverRequestSchema,
  HistorySchema,
  InitializeRecordSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  SyncStateSchema,
} from '../../libs/proto/src/index.ts';
import { connectClient, uniqueScope } from '../support/nats-clients.ts';
import { rawBucket } from '../support/raw-bucket.ts';

let nats: NatsServerProcess;
let connection: NatsConnection;

beforeAll(async () => {
  nats = await NatsServerProcess.start();
  connection = await connectClient(nats.url, 'cluster-store-spec');
});

afterAll(async () => {
  await connection?.close();
  await nats?.dispose();
});

function openStore(): Promise<ClusterStore> {
  return ClusterStore.open(connection, { namespace: 'natroni', scope: uniqueScope('dcs') });
}

const samples: Array<[string, ClusterKey<DescMessage>, MessageShape<DescMessage>]> = [
  [
    'initialize',
    ClusterKeys.initialize,
    create(InitializeRecordSchema, { databaseSystemIdentifier: '7268616322854375442' }),
  ],
  [
    'config',
    ClusterKeys.config,
    create(DynamicConfigSchema, {
      ttl: 30,
      loopWait: 10,
      retryTimeout: 10,
      maximumLagOnFailover: 1048576,
    }),
  ],
  ['leader', ClusterKeys.leader, create(LeaseRecordSchema, { member: 'pg1', term: 7, ttl: 30 })],
  [
    'failover',
    ClusterKeys.failover,
    create(FailoverRequestSchema, { leader: 'pg1', member: 'pg2' }),
  ],
  ['sync', ClusterKeys.sync, create(SyncStateSchema, { leader: 'pg1', syncStandby: 'pg2' })],
  [
    'history',
    ClusterKeys.history,
    create(HistorySchema, {
      entries: [
        {
          timeline: 1,
          switchLsn: 25623960,
          reason: 'no recovery target specified',
          timestamp: '2026-11-23T10:00:00+00:00',
          newLeader: 'pg2',
        },
      ],
    }),
  ],
  [
    'status',
    ClusterKeys.status,
    create(ClusterStatusSchema, { optime: 67395656, slots: { pg2: 67395656 } }),
  ],
  [
    'members.pg2',
    memberKey('pg2'),
    create(MemberStatusSchema, {
      name: 'pg2',
      state: 'running',
      role: 'replica',
      timeline: 1,
      xlogLocation: 67419744,
      replayLsn: 67419744,
      receiveLsn: 67419744,
      replicationState: 'streaming',
      connUrl: 'postgres://127.0.0.1:5433/postgres',
      apiUrl: 'http://127.0.0.1:8009/patroni',
    }),
  ],
];

test.each(samples)('the %s key round-trips its typed value', async (_name, key, value) => {
  const store = await openStore();
  const revision = await store.put(key, value);
  const read = await store.get(key);
  expect(read?.revision).toBe(revision);
  expect(read?.value).toEqual(value);
  await store.delete(key);
  expect(await store.get(key)).toBeUndefined();
});

test('a config compare-and-set on a revision someone else replaced is refused', async () => {
  const store = await openStore();
  const initial = create(DynamicConfigSchema, { ttl: 30 });
  const revision = await store.create(ClusterKeys.config, initial);
  await expect(store.create(ClusterKeys.config, initial)).rejects.toBeInstanceOf(
    RevisionConflictError,
  );

  await store.update(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 40 }), revision);
  const conflict = store.update(
    ClusterKeys.config,
    create(DynamicConfigSchema, { ttl: 50 }),
    revision,
  );
  await expect(conflict).rejects.toThrow(`key config changed since revision ${revision}`);
  expect((await store.get(ClusterKeys.config))?.value.ttl).toBe(40);
});

test('member names are listed from their keys', async () => {
  const store = await openStore();
  for (const name of ['pg3', 'pg1', 'pg2']) {
    await store.put(memberKey(name), create(MemberStatusSchema, { name, state: 'running' }));
  }
  await store.delete(memberKey('pg2'));
  expect(await store.memberNames()).toEqual(['pg1', 'pg3']);
});

test('the watch loads the current keys, then delivers each change in order', async () => {
  const store = await openStore();
  await store.put(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 30 }));
  await store.put(memberKey('pg1'), create(MemberStatusSchema, { name: 'pg1', role: 'primary' }));
  const watch = await ClusterWatch.start(store);
  try {
    expect(watch.view.config?.value.ttl).toBe(30);
    expect(watch.view.members.get('pg1')?.value.role).toBe('primary');

    const changes: string[] = [];
    watch.subscribe((_view, key) => changes.push(key));
    await store.put(
      ClusterKeys.leader,
      create(LeaseRecordSchema, { member: 'pg1', term: 1, ttl: 30 }),
    );
    await store.put(memberKey('pg2'), create(MemberStatusSchema, { name: 'pg2', role: 'replica' }));
    await store.put(ClusterKeys.failover, create(FailoverRequestSchema, { member: 'pg2' }));
    const last = await store
      .delete(ClusterKeys.failover)
      .then(() => store.delete(memberKey('pg1')));
    expect(last).toBeUndefined();

    await waitUntil(() => (changes.length >= 5 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the watch to deliver five changes',
    });
    expect(changes).toEqual(['leader', 'members.pg2', 'failover', 'failover', 'members.pg1']);
    expect(watch.view.leader?.value.member).toBe('pg1');
    expect(watch.view.failover).toBeUndefined();
    expect([...watch.view.members.keys()]).toEqual(['pg2']);
  } finally {
    watch.stop();
  }
});

test('a malformed value written by hand is reported, kept, and never breaks the watch', async () => {
  const store = await openStore();
  const watch = await ClusterWatch.start(store);
  try {
    const bucket = await rawBucket(connection, store);
    await bucket.put('config', '{"ttl": "thirty"');
    await bucket.put('members.pg1', '[1, 2]');
    await waitUntil(() => (watch.view.malformed.size === 2 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the watch to report both malformed keys',
    });
    expect(watch.view.malformed.get('config')?.message).toMatch(
      /^key config at revision \d+ holds a malformed value: /,
    );
    expect(watch.view.members.size).toBe(0);

    const read = store.get(ClusterKeys.config);
    await expect(read).rejects.toBeInstanceOf(MalformedValueError);
    expect((await store.entry(ClusterKeys.config))?.string()).toBe('{"ttl": "thirty"');

    await store.put(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 30 }));
    await waitUntil(() => (watch.view.config?.value.ttl === 30 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the watch to pick up the repaired config',
    });
    expect(watch.view.malformed.has('config')).toBe(false);
    expect(watch.view.malformed.has('members.pg1')).toBe(true);
  } finally {
    watch.stop();
  }
});

test('a write retried within retry_timeout goes through once NATS is back; a conflict is thrown at once', async () => {
  const store = await openStore();
  const first = await store.put(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 30 }));
  await expect(
    retryWithin(10_000, () =>
      store.update(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 20 }), first - 1),
    ),
  ).rejects.toBeInstanceOf(RevisionConflictError);

  await nats.stop();
  const write = retryWithin(20_000, () =>
    store.put(ClusterKeys.failover, create(FailoverRequestSchema, { member: 'pg2' })),
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await nats.restart();
  await write;
  expect((await store.get(ClusterKeys.failover))?.value.member).toBe('pg2');
}, 40_000);

test('a store opened while JetStream is not there yet waits for it', async () => {
  await nats.stop();
  const opening = openStore();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await nats.restart();
  const store = await opening;
  await store.put(ClusterKeys.config, create(DynamicConfigSchema, { ttl: 30 }));
  expect((await store.get(ClusterKeys.config))?.value.ttl).toBe(30);
}, 40_000);
