import { parseConnUrl } from '../../libs/domain/src/index.ts';

test("a member's conn_url: one host, its port, the database", () => {
  expect(parseConnUrl('postgres://127.0.0.1:5433/postgres')).toEqual({
    endpoints: [{ host: '127.0.0.1', port: '5433' }],
    dbname: 'postgres',
    parameters: {},
  });
  expect(parseConnUrl('postgresql://user@db.example/app').endpoints).toEqual([
    { host: 'db.example', port: '5432' },
  ]);
  expect(parseConnUrl('postgres://[::1]:6000/postgres').endpoints).toEqual([
    { host: '::1', port: '6000' },
  ]);
});

test('several hosts, each with its port, and the query parameters', () => {
  expect(
    parseConnUrl(
      'postgres://dc1-a:5433,dc1-b,[fd00::5]:5434/postgres?target_session_attrs=read-write',
    ),
  ).toEqual({
    endpoints: [
      { host: 'dc1-a', port: '5433' },
      { host: 'dc1-b', port: '5432' },
      { host: 'fd00::5', port: '5434' },
    ],
    dbname: 'postgres',
    parameters: { target_session_attrs: 'read-write' },
  });
});

test('what is not a libpq URL is refused', () => {
  expect(() => parseConnUrl('mysql://db/app')).toThrow('invalid connection URL');
  expect(() => parseConnUrl('postgres:///postgres')).toThrow('no host');
  expect(() => parseConnUrl('postgres://db:port/postgres')).toThrow('invalid connection URL');
});
