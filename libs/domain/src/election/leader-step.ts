import { remoteSourceName, type StandbyCluster } from './standby-cluster.ts';

/**
 * What the lease holder does in one HA cycle (Patroni's `process_healthy_cluster` for the lock
 * owner): keep leading a running primary, promote a running replica, start a stopped PostgreSQL as
 * primary, or wait while it starts or stops. In a standby cluster it never promotes: it is the
 * standby leader and follows the remote primary. Each step says so in one sentence.
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
  /** Set when the dynamic configuration makes this cluster a standby cluster. */
  readonly standby?: StandbyCluster;
  /** Whether the agent was told, under this term, to stream from `standby`'s remote primary. */
  readonly followsRemote?: boolean;
}

export type LeaderStep =
  | { readonly step: 'lead'; readonly sentence: string }
  | { readonly step: 'promote'; readonly sentence: string }
  | { readonly step: 'start_primary'; readonly sentence: string }
  | { readonly step: 'wait'; readonly sentence: string }
  | { readonly step: 'lead_standby'; readonly sentence: string }
  | { readonly step: 'follow_remote'; readonly sentence: string };

export function runsAsPrimary(postgres: OwnPostgres): boolean {
  return postgres.state === 'running' && postgres.role === 'primary';
}

export function leaderStep(facts: LeaderFacts): LeaderStep {
  if (facts.standby) return standbyLeaderStep(facts, facts.standby);
  const { member, term, postgres } = facts;
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

/** Patroni's standby leader: it holds the lease and streams from the remote primary, never promoting. */
function standbyLeaderStep(
  { member, term, postgres, followsRemote }: LeaderFacts,
  standby: StandbyCluster,
): LeaderStep {
  const remote = remoteSourceName(standby);
  if (postgres.state === 'starting' || postgres.state === 'stopping') {
    return {
      step: 'wait',
      sentence: `waiting for PostgreSQL of standby leader ${member} (${postgres.state}) under lease term ${term}`,
    };
  }
  if (runsAsPrimary(postgres)) {
    return {
      step: 'follow_remote',
      sentence: `demoting ${member}: cannot be a real primary in standby cluster; following ${remote}, lease term ${term}`,
    };
  }
  if (postgres.state === 'running' && followsRemote === true) {
    return {
      step: 'lead_standby',
      sentence: `no action: ${member} is the standby leader with lease term ${term}, following ${remote}`,
    };
  }
  return {
    step: 'follow_remote',
    sentence:
      postgres.state === 'running'
        ? `promoted ${member} to a standby leader: it holds lease term ${term}; following ${remote}`
        : `starting ${member} as the standby leader under lease term ${term}, following ${remote}`,
  };
}
