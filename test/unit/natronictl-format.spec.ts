import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  clusterFooter,
  formatEvent,
  historyListing,
  memberListing,
  pythonJson,
  renderDocument,
  renderTabular,
  roleLabel,
  unifiedDiff,
  type ClusterDocument,
} from '../../apps/natronictl/src/format/index.ts';
import { ctlConfigFrom } from '../../apps/natronictl/src/ctl-config.ts';
import { parseScheduled } from '../../apps/natronictl/src/scheduled-time.ts';
import { anyMember, selectMembers } from '../../apps/natronictl/src/member-selection.ts';
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
      receive_lsn: '0/3000060',
      receive_lag: 3 * 1024 * 1024,
      replay_lsn: '0/3000060',
      replay_lag: 2.5 * 1024 * 1024,
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
      receive_lsn: 'unknown',
      receive_lag: 'unknown',
      replay_lsn: 'unknown',
      replay_lag: 'unknown',
      tags: { replicatefrom: 'pg2' },
    },
  ],
};

const listing = memberListing(cluster, 'pretty', { systemId: '7312345678901234567' });

test("the pretty table is patronictl 4's: system id in the title, LSN and lag columns", () => {
  expect(renderTabular(memberListing(cluster, 'pretty'), 'pretty').split('\n')[0]).toMatch(
    /^\+ Cluster: demo \(uninitialized\) -+\+/,
  );
  expect(renderTabular(listing, 'pretty')).toBe(
    [
      '+ Cluster: demo (7312345678901234567) ---+-----------+----+-------------+-----+------------+-----+--------------------+',
      '| Member | Host           | Role         | State     | TL | Receive LSN | Lag | Replay LSN | Lag | Tags               |',
      '+--------+----------------+--------------+-----------+----+-------------+-----+------------+-----+--------------------+',
      '| pg1    | 127.0.0.1:5432 | Leader       | running   |  3 |             |     |            |     |                    |',
      '| pg2    | 127.0.0.1:5433 | Replica      | streaming |  3 |   0/3000060 |   3 |  0/3000060 |   2 |                    |',
      '| pg3    | 127.0.0.1:5434 | Sync Standby | stopped   |    |     unknown |     |    unknown |     | replicatefrom: pg2 |',
      '+--------+----------------+--------------+-----------+----+-------------+-----+------------+-----+--------------------+',
    ].join('\n'),
  );
});

test("json leaves out empty values, such as the leader's lag, as patronictl list -f json", () => {
  const rows = JSON.parse(renderTabular(memberListing(cluster, 'json'), 'json')) as Record<
    string,
    unknown
  >[];
  expect(rows[0]).toEqual({
    Cluster: 'demo',
    Member: 'pg1',
    Host: '127.0.0.1:5432',
    Role: 'Leader',
    State: 'running',
    TL: 3,
  });
  expect(rows[1]).toMatchObject({ 'Receive Lag': 3, 'Replay Lag': 2, 'Receive LSN': '0/3000060' });
  expect(rows[2]).toMatchObject({ Tags: { replicatefrom: 'pg2' } });
  expect(rows[2]).not.toHaveProperty('Receive Lag');
  expect(renderTabular(memberListing(cluster, 'json'), 'json')).toMatch(/^\[\{"Cluster": "demo", /);
});

test('tsv keeps the cluster column and every value', () => {
  const lines = renderTabular(memberListing(cluster, 'tsv'), 'tsv').split('\n');
  expect(lines[0]).toBe(
    'Cluster\tMember\tHost\tRole\tState\tTL\tReceive LSN\tReceive Lag\tReplay LSN\tReplay Lag\tTags',
  );
  expect(lines[1]).toBe('demo\tpg1\t127.0.0.1:5432\tLeader\trunning\t3\t\t\t\t\t');
});

test('-e adds the pending and scheduled restart columns; the host drops its usual port', () => {
  const plain: ClusterDocument = {
    scope: 'demo',
    members: [
      { name: 'pg1', role: 'leader', state: 'running', host: '10.0.0.1', port: 5432 },
      {
        name: 'pg2',
        role: 'replica',
        state: 'streaming',
        host: '10.0.0.2',
        port: 5432,
        pending_restart: true,
        scheduled_restart: { schedule: '2030-01-01T10:00:00+00:00', postgres_version: '16.1' },
      },
    ],
  };
  const extended = memberListing(plain, 'pretty', { extended: true });
  expect(extended.columns.slice(-4)).toEqual([
    'Pending restart',
    'Pending restart reason',
    'Scheduled restart',
    'Tags',
  ]);
  expect(extended.rows[1]).toEqual(
    expect.arrayContaining(['10.0.0.2', '*', '2030-01-01T10:00:00+00:00 if version < 16.1']),
  );
  expect(memberListing(plain, 'pretty').columns).toContain('Pending restart');
  expect(memberListing(plain, 'pretty').columns).not.toContain('Tags');
});

test('topology puts the leader first and each replica under its upstream', () => {
  const rows = memberListing(cluster, 'pretty', { topology: true }).rows;
  expect(rows.map((row) => row[1])).toEqual(['pg1', '+ pg2', '  + pg3']);
});

test('the footer shows maintenance mode and a scheduled switchover', () => {
  expect(
    clusterFooter({
      ...cluster,
      pause: true,
      scheduled_switchover: { at: '2030-01-01T10:00:00+00:00', from: 'pg1', to: 'pg2' },
    }),
  ).toEqual([
    [
      ' Maintenance mode: on',
      ' Switchover scheduled at: 2030-01-01T10:00:00+00:00',
      '                    from: pg1',
      '                      to: pg2',
    ].join('\n'),
  ]);
  expect(clusterFooter(cluster)).toEqual([]);
});

test('roles read as patronictl shows them', () => {
  expect(roleLabel('standby_leader')).toBe('Standby Leader');
  expect(roleLabel('quorum_standby')).toBe('Quorum Standby');
});

test('history: four- and five-item entries, empty values kept in JSON', () => {
  const history = historyListing([
    [1, 25623960, 'no recovery target specified', '2019-09-23T16:57:57+02:00'],
    [2, 25624344, 'no recovery target specified', '2019-09-24T09:22:33+02:00', 'pg2'],
  ]);
  expect(JSON.parse(renderTabular(history, 'json'))[0]).toEqual({
    TL: 1,
    LSN: 25623960,
    Reason: 'no recovery target specified',
    Timestamp: '2019-09-23T16:57:57+02:00',
    'New Leader': '',
  });
  expect(renderTabular(history, 'pretty').split('\n')[4]).toBe(
    '|  2 | 25624344 | no recovery target specified | 2019-09-24T09:22:33+02:00 | pg2        |',
  );
});

test("JSON as Python's json.dumps, YAML with sorted keys", () => {
  expect(pythonJson({ a: [1, 'é'], b: null })).toBe('{"a": [1, "\\u00e9"], "b": null}');
  expect(renderDocument({ ttl: 30, postgresql: { use_slots: true } }, 'yaml')).toBe(
    'postgresql:\n  use_slots: true\nttl: 30',
  );
});

test("edit-config's diff is difflib's unified diff", () => {
  const before = 'a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\n';
  const after = 'a: 1\nb: 2\nc: 3\nd: 40\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\n';
  expect(unifiedDiff(before, after)).toEqual([
    '--- ',
    '+++ ',
    '@@ -1,8 +1,9 @@',
    ' a: 1',
    ' b: 2',
    ' c: 3',
    '-d: 4',
    '+d: 40',
    ' e: 5',
    ' f: 6',
    ' g: 7',
    ' h: 8',
    '+i: 9',
  ]);
  expect(unifiedDiff(before, before)).toEqual([]);
  expect(unifiedDiff('x: 1\n', 'y: 2\n')).toEqual([
    '--- ',
    '+++ ',
    '@@ -1 +1 @@',
    '-x: 1',
    '+y: 2',
  ]);
});

test("a Patroni configuration file's restapi and ctl sections say where and as whom to connect", () => {
  expect(
    ctlConfigFrom({
      scope: 'demo',
      restapi: {
        listen: '0.0.0.0:8008',
        certfile: '/etc/ssl/x.pem',
        authentication: { username: 'api', password: 'p' },
      },
      ctl: { insecure: true, authentication: { username: 'ctl', password: 'q' } },
      postgresql: { authentication: { superuser: { username: 'postgres', password: 's' } } },
    }),
  ).toEqual({
    scope: 'demo',
    gatewayUrl: 'https://127.0.0.1:8008',
    auth: { username: 'ctl', password: 'q' },
    insecure: true,
    superuser: { username: 'postgres', password: 's' },
  });
  expect(ctlConfigFrom({ restapi: { connect_address: 'db1:8008' } })).toEqual({
    gatewayUrl: 'http://db1:8008',
    insecure: false,
  });
});

test('--scheduled reads dates as patronictl: now is none, a zoneless time is local', () => {
  expect(parseScheduled('now')).toBeUndefined();
  expect(parseScheduled('2030-01-01T12:00+02:00')).toEqual({
    iso: '2030-01-01T12:00:00+02:00',
    text: '2030-01-01 12:00:00+02:00',
  });
  const local = parseScheduled('2030-06-01 12:00');
  const offset = -new Date(2030, 5, 1, 12).getTimezoneOffset();
  expect(Date.parse(local?.iso ?? '')).toBe(Date.UTC(2030, 5, 1, 12) - offset * 60_000);
  expect(() => parseScheduled('soon')).toThrow(
    'Unable to parse scheduled timestamp (soon). It should be in an unambiguous format (e.g. ISO 8601)',
  );
});

test("members are chosen by patronictl's roles", () => {
  expect(selectMembers(cluster, [], 'replica').map((member) => member.name)).toEqual([
    'pg2',
    'pg3',
  ]);
  expect(selectMembers(cluster, ['pg2'], 'any').map((member) => member.name)).toEqual(['pg2']);
  expect(() => selectMembers(cluster, ['pg2'], 'primary')).toThrow(
    "No 'primary' among provided members",
  );
  expect(() => selectMembers(cluster, [], 'standby-leader')).toThrow(
    "demo cluster doesn't have any members",
  );
  expect(anyMember(cluster, undefined, undefined)?.name).toBe('pg1');
  expect(anyMember(cluster, 'replica', undefined)?.name).toBe('pg2');
  expect(() => anyMember(cluster, 'replica', 'pg3')).toThrow(
    '--role and --member are mutually exclusive options',
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
