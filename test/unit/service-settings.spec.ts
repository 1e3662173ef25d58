import { parseMemberConfig } from '../../libs/member-config/src/index.ts';
import {
  SERVICE_NAMES,
  settingsFromEnv,
  type Environment,
  type ServiceName,
} from '../../libs/service-settings/src/index.ts';
import { settingsProblems } from '../support/settings-problems.ts';

const problemsOf = (service: ServiceName, env: Environment) =>
  settingsProblems(() => settingsFromEnv(service, env));

describe('settingsFromEnv', () => {
  it('fills in the defaults', () => {
    expect(settingsFromEnv('api-gateway', {})).toEqual({
      service: 'api-gateway',
      namespace: 'natroni',
      scope: 'natroni',
      nats: { servers: ['nats://127.0.0.1:4222'] },
      http: { host: '127.0.0.1', port: 8008 },
    });
  });

  it.each([
    ['api-gateway', 8008],
    ['metrics', 9547],
    ['node-agent', 8010],
    ['election', 8011],
    ['router-updater', 8012],
  ] as const)('listens on %s port %i by default', (service, port) => {
    expect(settingsFromEnv(service, { NATRONI_NAME: 'pg1' }).http.port).toBe(port);
  });

  it('knows the five services', () => {
    expect([...SERVICE_NAMES].sort()).toEqual([
      'api-gateway',
      'election',
      'metrics',
      'node-agent',
      'router-updater',
    ]);
  });

  it('reads every variable', () => {
    const settings = settingsFromEnv('node-agent', {
      NATRONI_NAMESPACE: 'ha',
      NATRONI_SCOPE: 'main-cluster',
      NATRONI_NAME: 'pg_1',
      NATRONI_NATS_SERVERS: ' nats://10.0.0.1:4222, tls://nats.example:4223 ,10.0.0.3 ',
      NATRONI_NATS_USER: 'agent',
      NATRONI_NATS_PASSWORD: ' secret ',
      NATRONI_HTTP_HOST: '0.0.0.0',
      NATRONI_HTTP_PORT: '18010',
    });
    expect(settings).toEqual({
      service: 'node-agent',
      namespace: 'ha',
      scope: 'main-cluster',
      member: 'pg_1',
      nats: {
        servers: ['nats://10.0.0.1:4222', 'tls://nats.example:4223', '10.0.0.3'],
        user: 'agent',
        password: ' secret ',
      },
      http: { host: '0.0.0.0', port: 18010 },
    });
  });

  it('treats a variable set to the empty string as unset', () => {
    const settings = settingsFromEnv('metrics', {
      NATRONI_SCOPE: '',
      NATRONI_NAME: '',
      NATRONI_NATS_SERVERS: '',
      NATRONI_HTTP_PORT: '',
    });
    expect(settings.scope).toBe('natroni');
    expect(settings.member).toBeUndefined();
    expect(settings.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(settings.http.port).toBe(9547);
  });

  it.each(['node-agent', 'election'] as const)('requires the member name for %s', (service) => {
    expect(problemsOf(service, {})).toEqual([
      `NATRONI_NAME: ${service} needs the name of its member`,
    ]);
  });

  it.each(['api-gateway', 'metrics'] as const)('accepts a member name for %s', (service) => {
    expect(settingsFromEnv(service, { NATRONI_NAME: 'pg2' }).member).toBe('pg2');
  });

  it.each([
    ['NATRONI_NAMESPACE', 'a.b'],
    ['NATRONI_SCOPE', 'has space'],
    ['NATRONI_NAME', 'pg>1'],
  ])('rejects %s=%j, naming the variable', (variable, value) => {
    const problems = problemsOf('node-agent', { NATRONI_NAME: 'pg1', [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: invalid `));
    expect(problems[0]).toContain(JSON.stringify(value));
  });

  it.each(['0', '65536', '80a', '-1', '8.5'])('rejects NATRONI_HTTP_PORT=%j', (value) => {
    expect(problemsOf('metrics', { NATRONI_HTTP_PORT: value })).toEqual([
      `NATRONI_HTTP_PORT: ${JSON.stringify(value)} is not a TCP port (1-65535)`,
    ]);
  });

  it.each(['http://nats:4222', 'nats://', ',,'])('rejects NATRONI_NATS_SERVERS=%j', (value) => {
    const problems = problemsOf('metrics', { NATRONI_NATS_SERVERS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NATRONI_NATS_SERVERS: /);
  });

  it('requires the NATS user and password together', () => {
    expect(problemsOf('metrics', { NATRONI_NATS_USER: 'u' })).toEqual([
      'NATRONI_NATS_PASSWORD: required when NATRONI_NATS_USER is set',
    ]);
    expect(problemsOf('metrics', { NATRONI_NATS_PASSWORD: 'p' })).toEqual([
      'NATRONI_NATS_USER: required when NATRONI_NATS_PASSWORD is set',
    ]);
  });

  it('reports every bad variable in one error', () => {
    const env = { NATRONI_SCOPE: 'a.b', NATRONI_HTTP_PORT: 'x' };
    expect(() => settingsFromEnv('election', env)).toThrow(
      /^invalid settings for election: NATRONI_SCOPE: .*; NATRONI_NAME: .*; NATRONI_HTTP_PORT: /,
    );
  });
});

describe('with a member configuration file', () => {
  const config = parseMemberConfig(
    {
      namespace: 'ha',
      scope: 'demo',
      name: 'pg2',
      nats: {
        servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
        user: 'agent',
        password: 'pw',
      },
      restapi: { listen: '127.0.0.1:8009' },
      postgresql: { listen: '127.0.0.1:5433', data_dir: '/data/pg2' },
    },
    {},
    'pg2.yml',
  );

  it('takes the names and NATS servers from the file', () => {
    const settings = settingsFromEnv('node-agent', {}, config);
    expect(settings).toMatchObject({
      namespace: 'ha',
      scope: 'demo',
      member: 'pg2',
      nats: {
        servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
        user: 'agent',
        password: 'pw',
      },
    });
  });

  it('takes the NATS credentials file and TLS files from the file', () => {
    const secured = parseMemberConfig(
      {
        scope: 'demo',
        name: 'pg1',
        nats: {
          servers: ['tls://10.0.0.1:4222'],
          credentials_file: '/etc/natroni/pg1.creds',
          tls: {
            ca_file: '/etc/natroni/ca.pem',
            cert_file: '/etc/natroni/pg1.pem',
            key_file: '/etc/natroni/pg1.key',
          },
        },
        restapi: { listen: '127.0.0.1:8008' },
        postgresql: { listen: '127.0.0.1:5432', data_dir: '/data/pg1' },
      },
      {},
      'pg1.yml',
    );
    expect(settingsFromEnv('election', {}, secured).nats).toEqual({
      servers: ['tls://10.0.0.1:4222'],
      credentialsFile: '/etc/natroni/pg1.creds',
      tls: {
        caFile: '/etc/natroni/ca.pem',
        certFile: '/etc/natroni/pg1.pem',
        keyFile: '/etc/natroni/pg1.key',
      },
    });
  });

  it('lets the environment override the file', () => {
    const settings = settingsFromEnv('election', { NATRONI_SCOPE: 'other' }, config);
    expect(settings.scope).toBe('other');
    expect(settings.member).toBe('pg2');
  });
});
