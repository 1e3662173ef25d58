import pg from 'pg';
import type { Credentials } from '../../../../libs/member-config/src/index.ts';

const PROBE_TIMEOUT_MS = 3_000;

/**
 * Whether `connUrl` answers as a primary (not in recovery), as Patroni's rewind asks before it treats
 * a failed pg_rewind as this member's fault; false when it does not answer.
 */
export async function answersAsPrimary(connUrl: string, login: Credentials): Promise<boolean> {
  const client = new pg.Client({
    connectionString: connUrl,
    user: login.username,
    password: login.password,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    statement_timeout: PROBE_TIMEOUT_MS,
    application_name: 'natroni-agent',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return rows[0]?.r === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
