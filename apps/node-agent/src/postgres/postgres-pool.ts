import pg from 'pg';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { splitHostPort } from './postgres-settings.ts';

/** The one connection pool of an agent: two connections at most, as the local superuser. */
export function createPostgresPool(config: MemberConfig): pg.Pool {
  const { host, port } = splitHostPort(config.postgresql.listen, 'postgresql.listen');
  const superuser = config.postgresql.authentication.superuser;
  const pool = new pg.Pool({
    host: host === '*' || host === '0.0.0.0' || host === '' ? '127.0.0.1' : host,
    port,
    user: superuser.username,
    password: superuser.password,
    database: 'postgres',
    max: 2,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 10_000,
    statement_timeout: 10_000,
    application_name: 'natroni-agent',
  });
  // An idle connection dropped by a stopping server is simply discarded by the pool.
  pool.on('error', () => undefined);
  return pool;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
