import {
  connAddress,
  EMPTY_ROUTER_VIEW,
  haproxyCommands,
  nextRouterView,
  pgbouncerDatabases,
  serverSettings,
  type RouterInput,
  type RouterView,
} from '../../libs/domain/src/index.ts';

const BACKENDS = { primary: 'primary', replicas: ['replicas'], servers: {} };

function replay(inputs: readonly RouterInput[], view: RouterView = EMPTY_ROUTER_VIEW): RouterView {
  return inputs.reduce(nextRouterView, view);
}

const CLUSTER: RouterInput[] = [
  {
    kind: 'member_joined',
    member: 'pg1',
    role: 'primary',
    state: 'running',
    connUrl: 'postgres://10.0.0.1:5432/postgres',
  },
  {
    kind: 'member_joined',
    member: 'pg2',
    role: 'replica',
    state: 'running',
    connUrl: 'postgres://10.0.0.2:5433/postgres',
  },
  { kind: 'role_changed', member: 'pg1', toRole: 'primary' },
];

describe('the routing view', () => {
  it('reads host and port from a conn_url', () => {
    expect(connAddress('postgres://u:p@db1:6543/postgres')).toEqual({ host: 'db1', port: 6543 });
    expect(connAddress('postgresql://[::1]/postgres')).toEqual({ host: '::1', port: 5432 });
    expect(connAddress('http://db1:5432')).toBeUndefined();
  });

  it('follows a switchover: the leader leaves at its start, the candidate enters once writable', () => {
    const started = replay([...CLUSTER, { kind: 'switchover_started', leader: 'pg1' }]);
    expect([started.writable, started.leaving]).toEqual(['pg1', 'pg1']);
    const demoted = replay([{ kind: 'role_changed', member: 'pg1', toRole: 'demoted' }], started);
    expect([demoted.writable, demoted.leaving]).toEqual([undefined, undefined]);
    const promoted = replay([{ kind: 'role_changed', member: 'pg2', toRole: 'primary' }], demoted);
    expect([promoted.writable, promoted.leaving]).toEqual(['pg2', undefined]);
  });

  it('takes the leader out at the request, and back when the request is refused', () => {
    const requested = replay([...CLUSTER, { kind: 'switchover_requested', leader: 'pg1' }]);
    expect([requested.writable, requested.leaving]).toEqual(['pg1', 'pg1']);
    const refused = replay([{ kind: 'switchover_request_removed', leader: 'pg1' }], requested);
    expect([refused.writable, refused.leaving]).toEqual(['pg1', undefined]);
    expect(replay([...CLUSTER, { kind: 'switchover_requested', leader: 'pg2' }]).leaving).toBe(
      undefined,
    );
  });

  it('keeps the leader out when the request is removed after it stopped', () => {
    const removed = replay([
      ...CLUSTER,
      { kind: 'switchover_requested', leader: 'pg1' },
      { kind: 'switchover_started', leader: 'pg1' },
      { kind: 'state_changed', member: 'pg1', toState: 'stopping' },
      { kind: 'switchover_request_removed', leader: 'pg1' },
    ]);
    expect([removed.writable, removed.leaving]).toEqual([undefined, 'pg1']);
  });

  it('gives the leader back its place when the switchover fails after its stop', () => {
    const restarted = replay([
      ...CLUSTER,
      { kind: 'switchover_started', leader: 'pg1' },
      { kind: 'state_changed', member: 'pg1', toState: 'stopped' },
      { kind: 'state_changed', member: 'pg1', toState: 'running' },
    ]);
    expect([restarted.writable, restarted.leaving]).toEqual(['pg1', 'pg1']);
    const failed = replay([{ kind: 'switchover_failed', leader: 'pg1' }], restarted);
    expect([failed.writable, failed.leaving]).toEqual(['pg1', undefined]);
    expect(serverSettings(failed, BACKENDS).get('primary/pg1')).toBe('up');
  });

  it('does not count a replica that starts as writable', () => {
    const started = replay([
      ...CLUSTER,
      { kind: 'state_changed', member: 'pg2', toState: 'stopped' },
      { kind: 'state_changed', member: 'pg2', toState: 'running' },
    ]);
    expect(started.writable).toBe('pg1');
  });

  it('has no writable member once the primary lost its lease, stopped or left', () => {
    for (const input of [
      { kind: 'lease_lost', member: 'pg1' },
      { kind: 'state_changed', member: 'pg1', toState: 'stopping' },
      { kind: 'member_lost', member: 'pg1' },
    ] as const) {
      expect(replay([...CLUSTER, input]).writable).toBeUndefined();
    }
  });
});

describe('HAProxy runtime commands', () => {
  it('keeps only the writable member up in the primary backend and running replicas in the replicas one', () => {
    expect(Object.fromEntries(serverSettings(replay(CLUSTER), BACKENDS))).toEqual({
      'primary/pg1': 'up',
      'primary/pg2': 'down',
      'replicas/pg1': 'down',
      'replicas/pg2': 'up',
    });
  });

  it('drains a leaving primary, forces it down and cuts its sessions', () => {
    const before = serverSettings(replay(CLUSTER), BACKENDS);
    const after = serverSettings(
      replay([...CLUSTER, { kind: 'switchover_started', leader: 'pg1' }]),
      BACKENDS,
    );
    expect(haproxyCommands(before, after)).toEqual([
      'set server primary/pg1 state drain',
      'set server primary/pg1 health down',
      'shutdown sessions server primary/pg1',
    ]);
  });

  it('takes servers out before it puts one in, so no two are up at once', () => {
    const before = serverSettings(replay(CLUSTER), BACKENDS);
    const after = serverSettings(
      replay([...CLUSTER, { kind: 'role_changed', member: 'pg2', toRole: 'primary' }]),
      BACKENDS,
    );
    expect(haproxyCommands(before, after)).toEqual([
      'set server primary/pg1 state ready',
      'set server primary/pg1 health down',
      'set server replicas/pg2 state ready',
      'set server replicas/pg2 health down',
      'set server primary/pg2 state ready',
      'set server primary/pg2 health up',
    ]);
  });

  it('sends everything when nothing is known to be applied, and nothing when nothing changed', () => {
    const settings = serverSettings(replay(CLUSTER), { ...BACKENDS, servers: { pg1: 'db-a' } });
    expect(haproxyCommands(undefined, settings)).toHaveLength(8);
    expect(haproxyCommands(undefined, settings)).toContain('set server primary/db-a health up');
    expect(haproxyCommands(settings, settings)).toEqual([]);
  });
});

describe('PgBouncer databases', () => {
  it('points every entry at the primary, keeping its own options', () => {
    expect(
      pgbouncerDatabases({ app: 'dbname=app pool_size=20', raw: '' }, { host: 'db2', port: 5433 }),
    ).toBe(
      '[databases]\napp = host=db2 port=5433 dbname=app pool_size=20\nraw = host=db2 port=5433\n',
    );
  });
});
