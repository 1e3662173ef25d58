/**
 * Every PostgreSQL session natroni opens itself (the agent's pool and its watch, the gateway's monitor)
 * carries an `application_name` with this prefix.
 */
export const NATRONI_APPLICATION_NAME_PREFIX = 'natroni-';

/**
 * The `pg_stat_activity` rows that count as a server's connections, as MaxScale counts only the client
 * sessions it routes: client backends that are not natroni's own sessions. A drained server reaches
 * `Drained` once the last of them is closed.
 */
export const CLIENT_SESSION_CONDITION = `backend_type = 'client backend' AND application_name NOT LIKE '${NATRONI_APPLICATION_NAME_PREFIX}%'`;
