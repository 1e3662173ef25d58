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
