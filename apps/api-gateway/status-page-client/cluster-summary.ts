/// <reference lib="dom" />
import { html } from 'htm/preact';
import { seconds } from './format.ts';
import type { PendingAction, StatusPageDocument } from './types.ts';

function scheduledSwitchoverText(scheduled: unknown): string | undefined {
  const value = scheduled as { at?: string; from?: string; to?: string } | null;
  if (!value?.at) return undefined;
  return `${value.from ?? 'the leader'} → ${value.to ?? 'any'} at ${value.at}`;
}

export function ClusterSummary(props: {
  document: StatusPageDocument;
  ask: (action: PendingAction) => void;
}) {
  const { document, ask } = props;
  const lease = document.lease;
  const leader = lease?.holder;
  const replicas = document.members
    .filter((member) => member.name !== leader)
    .map((member) => member.name);
  const scheduled = scheduledSwitchoverText(document.scheduledSwitchover);
  return html`
    <section class="summary" aria-label="Cluster">
      <dl>
        <dt>Leader</dt>
        <dd data-field="leader">${leader ?? 'none'}</dd>
        <dt>Lease</dt>
        <dd data-field="lease">
          ${
            lease
              ? `term ${lease.term}, ${lease.valid ? `${seconds(Math.max(0, lease.timeLeftMs))} left of ${lease.ttlSeconds} s` : 'expired'}`
              : 'not held'
          }
        </dd>
        <dt>Paused</dt>
        <dd data-field="paused">${document.paused ? 'yes: no automatic failover' : 'no'}</dd>
        <dt>Synchronous standbys</dt>
        <dd>
          ${
            document.synchronousMode === 'off'
              ? 'synchronous mode off'
              : `${document.syncStandbys.join(', ') || 'none'} (${document.synchronousMode === 'quorum' ? 'quorum' : 'synchronous'} mode)`
          }
        </dd>
        <dt>Failsafe</dt>
        <dd>
          ${
            document.failsafe.enabled
              ? `enabled${document.failsafe.members.length > 0 ? `, members ${document.failsafe.members.join(', ')}` : ''}`
              : 'disabled'
          }
        </dd>
        ${
          scheduled &&
          html`<dt>Scheduled switchover</dt>
            <dd>${scheduled}</dd>`
        }
      </dl>
      <div class="actions">
        <button
          type="button"
          disabled=${!leader || replicas.length === 0}
          onClick=${() =>
            leader &&
            ask({
              title: 'Switchover',
              question: `Switch over from ${leader} to the chosen member?`,
              method: 'POST',
              path: '/switchover',
              leader,
              candidates: replicas,
            })}
        >
          Switchover…
        </button>
        <button
          type="button"
          onClick=${() =>
            ask(
              document.paused
                ? {
                    title: 'Resume',
                    question: 'Resume automatic failover?',
                    method: 'PATCH',
                    path: '/config',
                    body: { pause: null },
                  }
                : {
                    title: 'Pause',
                    question: 'Pause automatic failover (maintenance mode)?',
                    method: 'PATCH',
                    path: '/config',
                    body: { pause: true },
                  },
            )}
        >
          ${document.paused ? 'Resume' : 'Pause'}
        </button>
      </div>
    </section>
  `;
}
