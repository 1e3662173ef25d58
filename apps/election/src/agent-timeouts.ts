/**
 * Bounds on the election's requests to its agent. They are generous: each covers the PostgreSQL work
 * behind the verb on a loaded machine, and a request that times out leaves the agent working on.
 * The bootstrap's bound is the member's `bootstrap.timeout`.
 */
export const AGENT_TIMEOUT_MS = {
  status: 1_000,
  clone: 600_000,
  start: 90_000,
  stop: 90_000,
  promote: 90_000,
  demote: 90_000,
  follow: 90_000,
  rewind: 600_000,
  set_synchronous_standby_names: 5_000,
} as const;
