/// <reference lib="dom" />
import { html } from 'htm/preact';
import { bytes, seconds } from './format.ts';
import type { PendingAction, StatusPageMember } from './types.ts';

/** A mark beside the role's words, so that the role reads without colour. */
const ROLE_MARKS: Readonly<Record<string, string>> = {
  leader: '★',
  standby_leader: '☆',
  sync_standby: '◆',
  quorum_standby: '◇',
  replica: '○',
};

function flags(member: StatusPageMember): string[] {
  const shown: string[] = [];
  if (member.pendingRestart) shown.push('pending restart');
  if (member.maintenance) shown.push('maintenance');
  if (member.draining) shown.push('draining');
  if (member.tags['nofailover'] === true) shown.push('nofailover');
  return shown;
}

function tagText(tags: Record<string, unknown>): string {
  const entries = Object.entries(tags);
  return entries.length === 0
    ? 'none'
    : entries.map(([key, value]) => `${key}=${String(value)}`).join(', ');
}

function scheduledRestartText(scheduled: unknown): string | undefined {
  const schedule = (scheduled as { schedule?: string } | null)?.schedule;
  return schedule ? `restart at ${schedule}` : undefined;
}

export function MemberCard(props: {
  member: StatusPageMember;
  leader: string | undefined;
  ask: (action: PendingAction) => void;
}) {
  const { member, leader, ask } = props;
  const leading = member.role === 'leader' || member.role === 'standby_leader';
  const scheduled = scheduledRestartText(member.scheduledRestart);
  const shownFlags = flags(member);
  return html`
    <article class="member role-${member.role}" data-member=${member.name} data-role=${member.role}>
      <header>
        <h3>${member.name}</h3>
        <span class="role"
          ><span aria-hidden="true">${ROLE_MARKS[member.role] ?? '·'}</span>
          ${member.roleWords}</span
        >
      </header>
      ${
        shownFlags.length > 0 &&
        html`<p class="flags">
          ${shownFlags.map((flag) => html`<span class="flag">${flag}</span>`)}
        </p>`
      }
      <dl>
        <dt>State</dt>
        <dd data-field="state">${member.state}</dd>
        <dt>Timeline</dt>
        <dd>${member.timeline ?? 'unknown'}</dd>
        <dt>${leading ? 'WAL position' : 'Received / replayed'}</dt>
        <dd class="lsn">
          ${
            leading
              ? (member.lsn ?? 'unknown')
              : `${member.receiveLsn ?? 'unknown'} / ${member.replayLsn ?? 'unknown'}`
          }
        </dd>
        ${
          !leading &&
          html`<dt>Lag</dt>
            <dd data-field="lag">
              ${bytes(member.lagBytes)}${member.lagSeconds === null ? '' : `, ${member.lagSeconds} s`}
            </dd>`
        }
        <dt>Status age</dt>
        <dd>${seconds(member.statusAgeMs)}</dd>
        <dt>Tags</dt>
        <dd>${tagText(member.tags)}</dd>
        ${
          scheduled &&
          html`<dt>Scheduled</dt>
            <dd>${scheduled}</dd>`
        }
      </dl>
      <div class="actions">
        ${
          !leading &&
          leader &&
          html`<button
            type="button"
            onClick=${() =>
              ask({
                title: 'Switchover',
                question: `Switch over from ${leader} to ${member.name}?`,
                method: 'POST',
                path: '/switchover',
                body: { leader, candidate: member.name },
              })}
          >
            Make leader
          </button>`
        }
        <button
          type="button"
          onClick=${() =>
            ask({
              title: 'Restart',
              question: `Restart PostgreSQL on ${member.name}?`,
              method: 'POST',
              path: `/ui/members/${encodeURIComponent(member.name)}/restart`,
              body: {},
            })}
        >
          Restart
        </button>
        <button
          type="button"
          onClick=${() =>
            ask({
              title: 'Reload',
              question: `Reload the configuration of ${member.name}?`,
              method: 'POST',
              path: `/ui/members/${encodeURIComponent(member.name)}/reload`,
            })}
        >
          Reload
        </button>
      </div>
    </article>
  `;
}
