import pg from 'pg';
import { waitUntil } from './wait-until.ts';

export interface PostgresLogin {
  host: string;
  port: number;
  username: string;
  /** Unset where the server trusts the connection. */
  password?: string;
}

/** A client of the `postgres` database at `login`, not yet connected. */
export function postgresClient(login: PostgresLogin, connectTimeoutMs: number): pg.Client {
  const client = new pg.Client({
    host: login.host,
    port: login.port,
    user: login.username,
    password: login.password,
    database: 'postgres',
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A server that goes away mid-query also rejects the query: this keeps the error from being unhandled.
  client.on('error', () => undefined);
  return client;
}

/** Tries one connection; true once the server (a replica too, when consistent) accepts it. */
async function acceptsConnections(login: PostgresLogin): Promise<true> {
  const client = postgresClient(login, 2_000);
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
