import { JsonApiError } from './json-api-error.ts';

/** The status bits a `set`/`clear` request names; `maintenance` and `drain` are flags of the record. */
export type SettableState =
  'maintenance' | 'drain' | 'master' | 'slave' | 'running' | 'synced' | 'stale' | 'binlog_relay';

const STATES: Readonly<Record<string, SettableState>> = {
  maintenance: 'maintenance',
  maint: 'maintenance',
  drain: 'drain',
  master: 'master',
  slave: 'slave',
  running: 'running',
  synced: 'synced',
  stale: 'stale',
  blr: 'binlog_relay',
  binlogrouter: 'binlog_relay',
};

/** The `state` query parameter, case-insensitive; 403 when missing or unknown. */
export function parseSettableState(value: string | undefined): SettableState {
  const key = value?.toLowerCase();
  const state = key !== undefined && Object.hasOwn(STATES, key) ? STATES[key] : undefined;
  if (state === undefined)
    throw JsonApiError.refused('Invalid or missing value for the `state` parameter');
  return state;
}

/**
 * A monitored server (a natroni member) takes only maintenance and drain by hand; the other states are
 * the monitor's to decide.
 */
export function assertStateSettable(name: string, monitored: boolean, state: SettableState): void {
  if (monitored && state !== 'maintenance' && state !== 'drain') {
    throw JsonApiError.refused(
      `Server  ${name} is monitored so only maintenance and drain status can be altered manually. Status was not modified.`,
    );
  }
}

/**
 * A primary cannot be drained, as MaxScale's PostgreSQL monitor rules: draining it would end its writes.
 * It can be set to maintenance, and a drain already set can always be cleared.
 */
export function assertDrainable(isPrimary: boolean, set: boolean, state: SettableState): void {
  if (set && state === 'drain' && isPrimary)
    throw JsonApiError.refused('The server is master, so it cannot be set to draining mode.');
}

const TRUTHY = new Set(['yes', 'true', 'on', '1']);

/** MaxScale's boolean query options (`force=yes`): yes, true, on and 1, case-insensitive. */
export function isTruthyOption(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.toLowerCase());
}
