import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadMemberConfig,
  MemberConfigError,
  parseMemberConfig,
} from '../../libs/member-config/src/index.ts';

const minimal = {
  scope: 'demo',
  name: 'pg1',
  restapi: { listen: '127.0.0.1:8008' },
  postgresql: { listen: '127.0.0.1:5432', data_dir: '/var/lib/natroni/pg1' },
};

function problemsOf(document: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseMemberConfig(document, env, 'pg1.yml');
  } catch (error) {
    if (error instanceof MemberConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

test("a minimal file gets Patroni's defaults", () => {
  const config = parseMemberConfig(minimal, {}, 'pg1.yml');
  expect(config).toMatchObject({
    namespace: 'natroni',
    scope: 'demo',
    name: 'pg1',
    nats: { servers: ['nats://127.0.0.1:4222'], kv_replicas: 1 },
    restapi: { listen: '127.0.0.1:8008', connect_address: '127.0.0.1:8008' },
    postgresql: {
      connect_address: '127.0.0.1:5432',
      bin_dir: '/usr/lib/postgresql/15/bin',
      authentication: {
        superuser: { username: 'postgres' },
        replication: { username: 'replicator' },
      },
      parameters: {},
      pg_hba: [],
      use_pg_rewind: true,
      callback_timeout: 30,
    },
    bootstrap: { dcs: {}, initdb: [] },
    tags: {},
  });
});

test('environment variables override the file', () => {
  const config = parseMemberConfig(
    minimal,
    {
      NATRONI_NAME: 'pg2',
      NATRONI_NATS_SERVERS: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222',
      NATRONI_NATS_KV_REPLICAS: '3',
      NATRONI_SUPERUSER_PASSWORD: 's3cret',
    },
    'pg1.yml',
  );
  expect(config.name).toBe('pg2');
  expect(config.nats.servers).toEqual(['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']);
  expect(config.nats.kv_replicas).toBe(3);
  expect(config.postgresql.authentication.superuser).toEqual({
    username: 'postgres',
    password: 's3cret',
  });
});

test.each([
  [{ ...minimal, scope: undefined }, 'scope: should not be null or undefined'],
  [{ ...minimal, name: 'pg.1' }, "name: must be 1 to 64 letters, digits, '-' or '_'"],
  [{ ...minimal, restapi: { listen: 'localhost' } }, 'restapi.listen: must be host:port'],
  [
    { ...minimal, postgresql: { listen: '127.0.0.1:5432' } },
    'postgresql.data_dir: should not be null or undefined',
  ],
  [{ ...minimal, nats: { kv_replicas: 9 } }, 'nats.kv_replicas: must not be greater than 5'],
  [
    { ...minimal, postgresql: { ...minimal.postgresql, use_pg_rewind: 'yes' } },
    'postgresql.use_pg_rewind: must be a boolean value',
  ],
  [{ ...minimal, postgressql: {} }, 'postgressql: unknown key'],
  [{ ...minimal, restapi: { ...minimal.restapi, lisen: 'x' } }, 'restapi.lisen: unknown key'],
])('a bad key is named: %#', (document, problem) => {
  expect(problemsOf(document)).toContain(problem);
});

test('a bad value from the environment names the variable too', () => {
  expect(problemsOf(minimal, { NATRONI_RESTAPI_LISTEN: 'nowhere' })).toEqual([
    'restapi.listen (from NATRONI_RESTAPI_LISTEN): must be host:port',
  ]);
});

test('every problem is reported at once', () => {
  expect(problemsOf({ restapi: {}, postgresql: {} })).toHaveLength(5);
});

describe('files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'natroni-test-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a YAML file is read and validated', async () => {
    const path = join(dir, 'pg1.yml');
    await writeFile(
      path,
      'scope: demo\nname: pg1\nrestapi:\n  listen: 127.0.0.1:8008\npostgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /data\n',
    );
    expect((await loadMemberConfig(path, {})).scope).toBe('demo');
  });

  test('a YAML syntax error and a missing file are reported with the path', async () => {
    const path = join(dir, 'broken.yml');
    await writeFile(path, 'scope: [demo\n');
    await expect(loadMemberConfig(path, {})).rejects.toThrow(
      `invalid configuration in ${path}:\n  not valid YAML`,
    );
    await expect(loadMemberConfig(join(dir, 'missing.yml'), {})).rejects.toThrow(
      'cannot read the file',
    );
  });
});

describe('custom bootstrap and replica creation methods', () => {
  const withMethods = {
    ...minimal,
    postgresql: {
      ...minimal.postgresql,
      create_replica_methods: ['pgbackrest', 'basebackup'],
      pgbackrest: { command: 'pgbackrest --stanza=demo restore', keep_data: true, no_params: true },
      basebackup: { 'max-rate': '100M' },
    },
    bootstrap: {
      method: 'restore',
      restore: {
        command: '/usr/local/bin/restore-cluster',
        keep_existing_recovery_conf: false,
        label: 'nightly',
        recovery_conf: { restore_command: 'cp /archive/%f %p', recovery_target_action: 'promote' },
      },
      post_init: '/usr/local/bin/post-init',
    },
  };

  test("each method's section is read from the key named after it", () => {
    const config = parseMemberConfig(withMethods, {}, 'pg1.yml');
    expect(config.postgresql.create_replica_methods).toEqual(['pgbackrest', 'basebackup']);
    expect(config.postgresql.replica_method_options).toEqual({
      pgbackrest: { command: 'pgbackrest --stanza=demo restore', keep_data: true, no_params: true },
    });
    expect(config.postgresql.basebackup).toEqual({ 'max-rate': '100M' });
    expect(config.bootstrap).toMatchObject({
      method: 'restore',
      post_init: '/usr/local/bin/post-init',
      method_options: {
        section: {
          command: '/usr/local/bin/restore-cluster',
          keep_existing_recovery_conf: false,
          label: 'nightly',
        },
        keep_existing_recovery_conf: false,
        recovery_conf: { restore_command: 'cp /archive/%f %p', recovery_target_action: 'promote' },
      },
    });
  });

  test("the bootstrap's bound: 120 s unless bootstrap.timeout says otherwise, at least 30 s", () => {
    expect(parseMemberConfig(minimal, {}, 'pg1.yml').bootstrap.timeout).toBe(120);
    const long = { ...minimal, bootstrap: { ...withMethods.bootstrap, timeout: 14400 } };
    expect(parseMemberConfig(long, {}, 'pg1.yml').bootstrap.timeout).toBe(14400);
    expect(problemsOf({ ...minimal, bootstrap: { timeout: 5 } })).toEqual([
      'bootstrap.timeout: must not be less than 30',
    ]);
  });

  test('initdb by default, and a section not named by create_replica_methods is an unknown key', () => {
    const config = parseMemberConfig(minimal, {}, 'pg1.yml');
    expect(config.bootstrap.method).toBe('initdb');
    expect(config.bootstrap.method_options).toBeUndefined();
    expect(config.postgresql.create_replica_methods).toEqual([]);
    expect(
      problemsOf({ ...minimal, postgresql: { ...minimal.postgresql, wal_e: { command: 'x' } } }),
    ).toEqual(['postgresql.wal_e: unknown key']);
  });

  test("a section named by bootstrap.dcs.standby_cluster's create_replica_methods is a method's", () => {
    const config = parseMemberConfig(
      {
        ...minimal,
        postgresql: {
          ...minimal.postgresql,
          restore: { command: 'restore-backup', no_leader: true },
        },
        bootstrap: {
          dcs: {
            standby_cluster: {
              restore_command: 'cp /a/%f %p',
              create_replica_methods: ['restore'],
            },
          },
        },
      },
      {},
      'pg1.yml',
    );
    expect(config.postgresql.create_replica_methods).toEqual([]);
    expect(config.postgresql.replica_method_options).toEqual({
      restore: { command: 'restore-backup', no_leader: true },
    });
  });

  test('a bootstrap method without a command, bad basebackup options and nested values are refused', () => {
    expect(
      problemsOf({
        ...minimal,
        postgresql: {
          ...minimal.postgresql,
          create_replica_methods: ['wal_e'],
          wal_e: { command: 'restore', envdir: { nested: true } },
          basebackup: ['pgdata', { compress: 'gzip' }],
        },
        bootstrap: { method: 'restore', restore: { label: 'x' } },
      }),
    ).toEqual([
      'postgresql.wal_e.envdir: must be a string, a number or a boolean',
      'bootstrap.restore: bootstrap.method is "restore", so bootstrap.restore.command must be given',
      'postgresql.basebackup: pgdata option for basebackup is not allowed',
      'postgresql.basebackup: compress option for basebackup must use server-side compression (e.g., server-gzip, server-zstd). Client-side compression is not allowed.',
    ]);
  });
});

test('bootstrap.dcs with quorum commit is accepted, a standby_cluster without a source refused', () => {
  expect(
    problemsOf({
      ...minimal,
      bootstrap: {
        dcs: { synchronous_mode: 'quorum', standby_cluster: { primary_slot_name: 'x' } },
      },
    }),
  ).toEqual([
    'bootstrap.dcs.standby_cluster.host is not defined.',
    'bootstrap.dcs.standby_cluster.port is not defined.',
    'bootstrap.dcs.standby_cluster.restore_command is not defined.',
  ]);
});
