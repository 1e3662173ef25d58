/// <reference lib="dom" />
import { html } from 'htm/preact';
import { clock, eventSummary } from './format.ts';
import type { ClusterEvent } from './types.ts';

export function EventList(props: { events: readonly ClusterEvent[] }) {
  const newestFirst = [...props.events].reverse();
  return html`
    <section aria-labelledby="events-title">
      <h2 id="events-title">Recent events</h2>
      ${
        newestFirst.length === 0
          ? html`<p class="empty">No event yet.</p>`
          : html`<ol class="events">
              ${newestFirst.map(
                (event) =>
                  html`<li key=${event.id} data-kind=${event.kind}>
                    <time>${clock(event.occurred_at)}</time>
                    <span class="kind">${event.kind.replaceAll('_', ' ')}</span>
                    <span>${eventSummary(event)}</span>
                  </li>`,
              )}
            </ol>`
      }
    </section>
  `;
}
