import pg from 'pg';
import { waitUntil } from './wait-until.ts';

export interface PostgresLogin {
  host: string;
  port: number;
  username: string;
  password: string;
}

/** Tries one connection; true once the server (a replica too, when consistent) accepts it. */
async function acceptsConnections(login: PostgresLogin): Promise<true> {
  const client = new pg.Client({
    host: login.host,
    port: login.port,
    user: login.username,
    password: login.password,
    database: 'postgres',
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Waits until PostgreSQL at `login` accepts a SQL connection, or fails after `timeoutMs`. */
export function waitForSqlConnections(
  login: PostgresLogin,
  timeoutMs: number,
  what: string,
): Promise<true> {
  return waitUntil(() => acceptsConnections(login), { timeoutMs, intervalMs: 20, what });
}
