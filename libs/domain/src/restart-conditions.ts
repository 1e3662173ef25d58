import { RESTART_ROLES } from './member-role.ts';

/** The conditions of Patroni's `POST /restart`. */
export interface RestartConditions {
  readonly role?: string;
  readonly postgres_version?: string;
  /** Present (whatever its value): restart only if a restart is pending. */
  readonly restart_pending?: boolean;
}

export interface RestartSubject {
  readonly role: string;
  /** server_version_num, e.g. 150018. */
  readonly serverVersion: number | undefined;
  readonly pendingRestart: boolean;
}

/** "X.Y.Z", or "X.Y" from version 10, as server_version_num; an error message when invalid. */
export function parsePostgresVersion(text: string): number | string {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return `Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: ${text}`;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major >= 10) {
    if (match[3] !== undefined) return `Invalid PostgreSQL version: ${text}`;
    return major * 10_000 + minor;
  }
  if (match[3] === undefined) return `Invalid PostgreSQL version: ${text}`;
  return major * 10_000 + minor * 100 + Number(match[3]);
}

/** Why a restart request is invalid (Patroni's 400 messages), or undefined when it is valid. */
export function restartRequestError(conditions: RestartConditions): string | undefined {
  if (
    conditions.role !== undefined &&
    !(RESTART_ROLES as readonly string[]).includes(conditions.role)
  ) {
    return 'PostgreSQL role should be either primary, standby_leader, or replica';
  }
  if (conditions.postgres_version !== undefined) {
    const version = parsePostgresVersion(conditions.postgres_version);
    if (typeof version === 'string') return version;
  }
  return undefined;
}

/** Patroni's `restart_matches`: every condition set must hold. */
export function restartConditionsMet(
  conditions: RestartConditions,
  subject: RestartSubject,
): boolean {
  if (conditions.role !== undefined && conditions.role !== subject.role) return false;
  if (conditions.postgres_version !== undefined) {
    const wanted = parsePostgresVersion(conditions.postgres_version);
    if (typeof wanted === 'string' || subject.serverVersion === undefined) return false;
    if (subject.serverVersion >= wanted) return false;
  }
  if (conditions.restart_pending !== undefined && !subject.pendingRestart) return false;
  return true;
}
