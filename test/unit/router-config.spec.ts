import {
  parseRouterConfig,
  RouterConfigError,
} from '../../apps/router-updater/src/router-config.ts';

describe('the router updater configuration', () => {
  it('reads HAProxy instances and PgBouncers with their defaults', () => {
    const config = parseRouterConfig(
      {
        haproxy: [
          { name: 'lb1', stats_socket: '/run/haproxy/admin.sock', primary_backend: 'primary' },
        ],
        pgbouncer: [
          {
            name: 'pool1',
            admin: 'postgresql://pgbouncer@127.0.0.1:6432/pgbouncer',
            databases_file: '/etc/pgbouncer/natroni.ini',
            databases: { app: 'dbname=app' },
          },
        ],
      },
      'routers.yml',
    );
    expect(config.haproxy[0]).toMatchObject({ replica_backends: [], servers: {} });
    expect([config.retry_interval_ms, config.command_timeout_ms]).toEqual([1_000, 2_000]);
  });

  it('lists every problem at once', () => {
    const parse = () =>
      parseRouterConfig(
        {
          haproxy: [
            { name: 'lb 1', stats_socket: '' },
            { name: 'dup', stats_socket: 'x:1', primary_backend: 'p' },
          ],
          pgbouncer: [{ name: 'dup', admin: 'http://x/db', databases_file: 'f', databases: {} }],
          retry_interval_ms: 1,
          surprise: true,
        },
        'routers.yml',
      );
    expect(parse).toThrow(RouterConfigError);
    const message = (() => {
      try {
        parse();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const problem of [
      'haproxy.0.name: name must be 1 to 64',
      'haproxy.0.stats_socket:',
      'pgbouncer.0.admin: admin must be a postgresql:// URL',
      'retry_interval_ms:',
      'surprise: unknown key',
      'router names must differ: dup',
      'haproxy lb 1: name a primary_backend or replica_backends',
    ]) {
      expect(message).toContain(problem);
    }
  });

  it('refuses a document that is not a mapping', () => {
    expect(() => parseRouterConfig(['lb1'], 'routers.yml')).toThrow(
      'invalid router configuration routers.yml: the document must be a mapping',
    );
  });
});
