import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  clusterFooter,
  formatEvent,
  historyRows,
  historyTable,
  listRows,
  memberTable,
  renderDocument,
  renderTable,
  roleLabel,
  topologyRows,
  type ClusterDocument,
} from '../../apps/natronictl/src/format/index.ts';
import { EventSchema } from '../../libs/proto/src/index.ts';

const cluster: ClusterDocument = {
  scope: 'demo',
  members: [
    {
      name: 'pg2',
      role: 'replica',
      state: 'streaming',
      api_url: 'http://127.0.0.1:8009/patroni',
      host: '127.0.0.1',
      port: 5433,
      timeline: 3,
      lag: 3 * 1024 * 1024,
    },
    {
      name: 'pg1',
      role: 'leader',
      state: 'running',
      api_url: 'http://127.0.0.1:8008/patroni',
      host: '127.0.0.1',
      port: 5432,
      timeline: 3,
    },
    {
      name: 'pg3',
      role: 'sync_standby',
      state: 'stopped',
      api_url: 'http://127.0.0.1:8010/patroni',
      host: '127.0.0.1',
      port: 5434,
      lag: 'unknown',
      tags: { replicatefrom: 'pg2' },
    },
  ],
};

test('list rows are keyed like patronictl list -f json, in name order, lag in whole MB', () => {
  expect(listRows(cluster)).toEqual([
    {
      Cluster: 'demo',
      Member: 'pg1',
      Host: '127.0.0.1:5432',
      Role: 'Leader',
      State: 'running',
      TL: 3,
      'Lag in MB': '',
    },
    {
      Cluster: 'demo',
      Member: 'pg2',
      Host: '127.0.0.1:5433',
      Role: 'Replica',
      State: 'streaming',
      TL: 3,
      'Lag in MB': 3,
    },
    {
      Cluster: 'demo',
      Member: 'pg3',
      Host: '127.0.0.1:5434',
      Role: 'Sync Standby',
      State: 'stopped',
      TL: '',
      'Lag in MB': 'unknown',
    },
  ]);
});

test('the pretty table has the cluster in its top border and right-aligned numbers', () => {
  expect(renderTable(memberTable(cluster, listRows(cluster)))).toBe(
    [
      '+ Cluster: demo ----------+--------------+-----------+----+-----------+',
      '| Member | Host           | Role         | State     | TL | Lag in MB |',
      '+--------+----------------+--------------+-----------+----+-----------+',
      '| pg1    | 127.0.0.1:5432 | Leader       | running   |  3 |           |',
      '| pg2    | 127.0.0.1:5433 | Replica      | streaming |  3 |         3 |',
      '| pg3    | 127.0.0.1:5434 | Sync Standby | stopped   |    |   unknown |',
      '+--------+----------------+--------------+-----------+----+-----------+',
    ].join('\n'),
  );
});

test('pending and scheduled restarts add their columns only when a member has one', () => {
  const pending: ClusterDocument = {
    scope: 'demo',
    members: [
      { name: 'pg1', role: 'leader', state: 'running', pending_restart: true },
      { name: 'pg2', role: 'replica', state: 'streaming' },
    ],
  };
  const table = memberTable(pending, listRows(pending));
  expect(table.columns.map((column) => column.header)).toContain('Pending restart');
  expect(table.columns.map((column) => column.header)).not.toContain('Scheduled restart');
  expect(table.rows.map((row) => row[6])).toEqual(['*', '']);
});

test('topology puts the leader first and each replica under its upstream', () => {
  expect(topologyRows(cluster).map((row) => row['Member'])).toEqual(['pg1', '+ pg2', '  + pg3']);
});

test('topology without a leader lists every member at the top level', () => {
  const leaderless: ClusterDocument = {
    scope: 'demo',
    members: [
      { name: 'pg2', role: 'replica', state: 'stopped' },
      { name: 'pg1', role: 'replica', state: 'stopped' },
    ],
  };
  expect(topologyRows(leaderless).map((row) => row['Member'])).toEqual(['pg1', 'pg2']);
});

test('the footer shows maintenance mode and a scheduled switchover', () => {
  expect(
    clusterFooter({
      ...cluster,
      pause: true,
      scheduled_switchover: { at: '2030-01-01T10:00:00+00:00', from: 'pg1', to: 'pg2' },
    }),
  ).toEqual([
    ' Maintenance mode: on',
    ' Switchover scheduled at: 2030-01-01T10:00:00+00:00',
    '                    from: pg1',
    '                      to: pg2',
  ]);
  expect(clusterFooter(cluster)).toEqual([]);
});

test('roles read as patronictl shows them', () => {
  expect(roleLabel('standby_leader')).toBe('Standby Leader');
  expect(roleLabel('quorum_standby')).toBe('Quorum Standby');
});

test('history rows: four- and five-item entries', () => {
  const rows = historyRows([
    [1, 25623960, 'no recovery target specified', '2019-09-23T16:57:57+02:00'],
    [2, 25624344, 'no recovery target specified', '2019-09-24T09:22:33+02:00', 'pg2'],
  ]);
  expect(rows[0]).toEqual({
    TL: 1,
    LSN: 25623960,
    Reason: 'no recovery target specified',
    Timestamp: '2019-09-23T16:57:57+02:00',
    'New Leader': '',
  });
  expect(renderTable(historyTable(rows)).split('\n')[4]).toBe(
    '|  2 | 25624344 | no recovery target specified | 2019-09-24T09:22:33+02:00 | pg2        |',
  );
});

test('documents render as indented JSON or as YAML', () => {
  const document = { ttl: 30, postgresql: { parameters: { max_connections: 100 } } };
  expect(JSON.parse(renderDocument(document, 'json'))).toEqual(document);
  expect(renderDocument(document, 'yaml')).toBe(
    'ttl: 30\npostgresql:\n  parameters:\n    max_connections: 100',
  );
});

test('events print as one line of words, a JSON line or a YAML document', () => {
  const event = create(EventSchema, {
    id: 'e1',
    kind: 'leader_elected',
    scope: 'demo',
    member: 'pg2',
    term: 7,
    timeline: 3,
    occurredAt: timestampFromMs(Date.UTC(2030, 0, 1, 10, 0, 0)),
    detail: { case: 'leaderElected', value: { previousLeader: 'pg1' } },
  });
  expect(formatEvent(event, 'pretty')).toBe(
    '2030-01-01T10:00:00.000Z  leader_elected  pg2  term 7  timeline 3  {"previous_leader":"pg1"}',
  );
  expect(JSON.parse(formatEvent(event, 'json'))).toMatchObject({
    kind: 'leader_elected',
    term: 7,
    leader_elected: { previous_leader: 'pg1' },
  });
  expect(formatEvent(event, 'yaml')).toMatch(/^---\nid: e1\nkind: leader_elected\n/);
});
