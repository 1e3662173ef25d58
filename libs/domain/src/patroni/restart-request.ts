import type { JsonObject } from './proto-types.ts';
import { parseSchedule } from './schedule.ts';
import { parseSeconds } from './size-units.ts';

/** The conditions of a `POST /restart`, checked and normalised. */
export interface RestartFilters {
  readonly schedule?: string;
  readonly role?: string;
  readonly postgresVersion?: string;
  readonly timeoutSeconds?: number;
  readonly restartPending?: boolean;
}

export type RestartDecision =
  | { readonly ok: true; readonly filters: RestartFilters }
  | { readonly ok: false; readonly code: 400 | 422 | 500; readonly message: string };

const RESTART_ROLES = new Set(['primary', 'standby_leader', 'replica']);

/** Patroni's `postgres_version_to_int` checks; returns the error message or undefined. */
export function postgresVersionProblem(version: unknown): string | undefined {
  const text = String(version);
  const parts = text.split('.');
  if (!parts.every((part) => /^\s*[+-]?\d+\s*$/.test(part)))
    return `Invalid PostgreSQL version: ${text}`;
  const numbers = parts.map(Number);
  if (
    numbers.length < 2 ||
    numbers.length > 3 ||
    (numbers.length === 2 && (numbers[0] ?? 0) < 10)
  ) {
    return `Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: ${text}`;
  }
  return undefined;
}

/** Each key in body order, the first problem decides; then the paused check for a schedule. */
export function decideRestart(body: JsonObject, paused: boolean, nowMs: number): RestartDecision {
  const filters: {
    schedule?: string;
    role?: string;
    postgresVersion?: string;
    timeoutSeconds?: number;
    restartPending?: boolean;
  } = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schedule') {
      const schedule = parseSchedule(value, 'restart', nowMs);
      if (!schedule.ok) return schedule;
      filters.schedule = schedule.iso;
    } else if (key === 'role') {
      if (typeof value !== 'string' || !RESTART_ROLES.has(value)) {
        return {
          ok: false,
          code: 400,
          message: 'PostgreSQL role should be either primary, standby_leader, or replica',
        };
      }
      filters.role = value;
    } else if (key === 'postgres_version') {
      const problem = postgresVersionProblem(value);
      if (problem) return { ok: false, code: 400, message: problem };
      filters.postgresVersion = String(value);
    } else if (key === 'timeout') {
      const seconds = parseSeconds(value);
      if (seconds === undefined || seconds <= 0) {
        return { ok: false, code: 400, message: 'Timeout should be a positive number of seconds' };
      }
      filters.timeoutSeconds = seconds;
    } else if (key === 'restart_pending') {
      filters.restartPending = true;
    } else {
      return { ok: false, code: 400, message: `Unknown filter for the scheduled restart: ${key}` };
    }
  }
  if (filters.schedule !== undefined && paused) {
    return { ok: false, code: 500, message: "Can't schedule restart in the paused state" };
  }
  return { ok: true, filters };
}
