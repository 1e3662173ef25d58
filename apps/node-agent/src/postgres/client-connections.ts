import type pg from 'pg';

/** application_name of the agent's own pool (postgres-pool.ts): its connections stay. */
const AGENT_APPLICATION_NAME = 'natroni-agent';

/**
 * Closes every client connection (pg_terminate_backend) except the agent's own pool; replication
 * connections are WAL senders, not client backends, so streaming continues. Returns how many closed.
 */
export async function terminateClientConnections(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ terminated: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated
       FROM pg_stat_activity
      WHERE backend_type = 'client backend'
        AND pid <> pg_backend_pid()
        AND application_name IS DISTINCT FROM $1`,
    [AGENT_APPLICATION_NAME],
  );
  return rows[0]?.terminated ?? 0;
}
