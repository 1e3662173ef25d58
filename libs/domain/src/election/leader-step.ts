/**
 * What the lease holder does in one HA cycle (Patroni's `process_healthy_cluster` for the lock
 * owner): keep leading a running primary, promote a running replica, start a stopped PostgreSQL as
 * primary, or wait while it starts or stops. Each step says so in one sentence.
 */
export interface OwnPostgres {
  /** Patroni's state label from the agent: `running`, `starting`, `stopped`, ... */
  readonly state: string;
  /** `primary`, `replica`, `uninitialized`, ... */
  readonly role: string;
}

export interface LeaderFacts {
  readonly member: string;
  readonly term: number;
  readonly postgres: OwnPostgres;
}

export type LeaderStep =
  | { readonly step: 'lead'; readonly sentence: string }
  | { readonly step: 'promote'; readonly sentence: string }
  | { readonly step: 'start_primary'; readonly sentence: string }
  | { readonly step: 'wait'; readonly sentence: string };

export function runsAsPrimary(postgres: OwnPostgres): boolean {
  return postgres.state === 'running' && postgres.role === 'primary';
}

export function leaderStep({ member, term, postgres }: LeaderFacts): LeaderStep {
  if (runsAsPrimary(postgres)) {
    return { step: 'lead', sentence: `no action: ${member} leads with lease term ${term}` };
  }
  if (postgres.state === 'running') {
    return {
      step: 'promote',
      sentence: `promoting ${member}: it holds lease term ${term} and runs as ${postgres.role}`,
    };
  }
  if (postgres.state === 'starting' || postgres.state === 'stopping') {
    return {
      step: 'wait',
      sentence: `waiting for PostgreSQL of ${member} (${postgres.state}) under lease term ${term}`,
    };
  }
  return {
    step: 'start_primary',
    sentence: `starting primary after failure: ${member}, lease term ${term}`,
  };
}
