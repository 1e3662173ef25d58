/**
 * PostgreSQL states with Patroni's fixed numbers (`PostgresqlState`): the index is the
 * `patroni_postgres_state` metric value, `metric` its name there, `label` the member/JSON `state` string.
 */
export const POSTGRES_STATES = [
  { metric: 'initdb', label: 'initializing new cluster' },
  { metric: 'initdb_failed', label: 'initdb failed' },
  { metric: 'custom_bootstrap', label: 'running custom bootstrap script' },
  { metric: 'custom_bootstrap_failed', label: 'custom bootstrap failed' },
  { metric: 'creating_replica', label: 'creating replica' },
  { metric: 'running', label: 'running' },
  { metric: 'starting', label: 'starting' },
  { metric: 'bootstrap_starting', label: 'starting after custom bootstrap' },
  { metric: 'start_failed', label: 'start failed' },
  { metric: 'restarting', label: 'restarting' },
  { metric: 'restart_failed', label: 'restart failed' },
  { metric: 'stopping', label: 'stopping' },
  { metric: 'stopped', label: 'stopped' },
  { metric: 'stop_failed', label: 'stop failed' },
  { metric: 'crashed', label: 'crashed' },
] as const;

export type PostgresStateName = (typeof POSTGRES_STATES)[number]['metric'];
export type PostgresStateLabel = (typeof POSTGRES_STATES)[number]['label'];

/** Reported instead of a state when PostgreSQL should be running but does not answer. */
export const UNKNOWN_STATE_LABEL = 'unknown';

export function postgresStateNumber(name: PostgresStateName): number {
  return POSTGRES_STATES.findIndex((state) => state.metric === name);
}

export function postgresStateLabel(name: PostgresStateName): PostgresStateLabel {
  return POSTGRES_STATES[postgresStateNumber(name)].label;
}

/** The metric value for a `state` string: its number, or -1 for "unknown" and anything else. */
export function postgresStateNumberOfLabel(label: string): number {
  return POSTGRES_STATES.findIndex((state) => state.label === label);
}

/** States in which PostgreSQL is expected to answer queries (Patroni queries it only then). */
export function isQueryableState(name: PostgresStateName): boolean {
  return name === 'running' || name === 'starting' || name === 'restarting';
}
