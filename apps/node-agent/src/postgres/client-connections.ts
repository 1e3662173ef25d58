import type pg from 'pg';
import { CLIENT_SESSION_CONDITION } from '../../../../libs/domain/src/index.ts';

/**
 * Closes every client connection (pg_terminate_backend) except natroni's own sessions (the agent's pool
 * and watch); replication connections are WAL senders, not client backends, so streaming continues.
 * Returns how many closed.
 */
export async function terminateClientConnections(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ terminated: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated
       FROM pg_stat_activity
      WHERE ${CLIENT_SESSION_CONDITION}`,
  );
  return rows[0]?.terminated ?? 0;
}
