import type { ClusterEvent } from './types.ts';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

export function bytes(value: number | null): string {
  if (value === null) return 'unknown';
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? scaled : scaled.toFixed(1)} ${UNITS[unit]}`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function clock(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString([], { hour12: false });
}

export function dateAndClock(iso: string): string {
  const date = new Date(iso.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toLocaleDateString()} ${date.toLocaleTimeString([], { hour12: false })}`;
}

function field(detail: unknown, name: string): string {
  const value = (detail as Record<string, unknown> | undefined)?.[name];
  return value === undefined || value === null || value === '' ? '' : String(value);
}

function duration(detail: unknown): string {
  const ms = Number(field(detail, 'duration_ms'));
  return ms > 0 ? ` in ${seconds(ms)}` : '';
}

function because(detail: unknown): string {
  const reason = field(detail, 'reason');
  return reason ? `: ${reason}` : '';
}

/** One line saying what happened, in words. */
export function eventSummary(event: ClusterEvent): string {
  const detail = event[event.kind];
  const member = event.member ?? '';
  switch (event.kind) {
    case 'leader_elected': {
      const previous = field(detail, 'previous_leader');
      return `${member} took the leader lease (term ${event.term ?? '?'})${previous ? `, after ${previous}` : ''}`;
    }
    case 'role_changed':
      return `${member}: ${field(detail, 'from_role') || '?'} → ${field(detail, 'to_role') || '?'}`;
    case 'switchover_started':
      return `switchover started: ${field(detail, 'leader')} → ${field(detail, 'candidate') || 'any'}`;
    case 'switchover_completed':
      return `switchover completed: ${field(detail, 'leader')} → ${field(detail, 'candidate') || 'any'}${duration(detail)}`;
    case 'switchover_failed':
      return `switchover failed: ${field(detail, 'leader')} → ${field(detail, 'candidate') || 'any'}${because(detail)}`;
    case 'failover':
      return `failover: ${field(detail, 'old_leader')} → ${field(detail, 'new_leader')}${duration(detail)}${because(detail)}`;
    case 'state_changed':
      return `${member}: ${field(detail, 'from_state') || '?'} → ${field(detail, 'to_state') || '?'}`;
    case 'lease_lost':
      return `${member} lost the leader lease${because(detail)}`;
    case 'member_joined':
      return `${member} joined as ${field(detail, 'role') || 'member'}`;
    case 'member_lost':
      return `${member} lost (was ${field(detail, 'last_role') || 'member'})${because(detail)}`;
    case 'config_changed': {
      const keys = (detail as { changed_keys?: string[] } | undefined)?.changed_keys ?? [];
      return `configuration changed: ${keys.join(', ') || 'no key named'}`;
    }
    case 'sync_changed': {
      const current = (
        detail as { current?: { sync_standby?: string; quorum?: number } } | undefined
      )?.current;
      const quorum = current?.quorum === undefined ? '' : ` (quorum ${current.quorum})`;
      return current
        ? `synchronous standbys: ${current.sync_standby ?? 'none'}${quorum}`
        : 'synchronous standbys: the sync key was removed';
    }
    case 'callback_completed':
      return `${member}: callback ${field(detail, 'action')} exited ${field(detail, 'exit_code') || '0'}${duration(detail)}`;
    default:
      return `${event.kind} ${member}`;
  }
}
