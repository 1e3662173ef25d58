import pg from 'pg';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { splitHostPort } from './postgres-settings.ts';

/** How the agent logs in to its own PostgreSQL: as the local superuser, on the listen address. */
export function agentLogin(config: MemberConfig): pg.ClientConfig {
  const { host, port } = splitHostPort(config.postgresql.listen, 'postgresql.listen');
  const superuser = config.postgresql.authentication.superuser;
  return {
    host: host === '*' || host === '0.0.0.0' || host === '' ? '127.0.0.1' : host,
    port,
    user: superuser.username,
    password: superuser.password,
    database: 'postgres',
  };
}

/** The one connection pool of an agent: two connections at most, as the local superuser. */
export function createPostgresPool(config: MemberConfig): pg.Pool {
  const pool = new pg.Pool({
    ...agentLogin(config),
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
