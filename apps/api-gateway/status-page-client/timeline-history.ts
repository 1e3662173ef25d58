/// <reference lib="dom" />
import { html } from 'htm/preact';
import { dateAndClock } from './format.ts';
import type { StatusPageDocument } from './types.ts';

export function TimelineHistory(props: { history: StatusPageDocument['history'] }) {
  const { history } = props;
  return html`
    <section aria-labelledby="history-title">
      <h2 id="history-title">Timelines</h2>
      ${
        history.length === 0
          ? html`<p class="empty">No timeline switch yet.</p>`
          : html`<table class="history">
              <thead>
                <tr>
                  <th>Timeline</th>
                  <th>New leader</th>
                  <th>When</th>
                  <th>Ended at LSN</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                ${history.map(
                  (entry) =>
                    html`<tr data-timeline=${entry.timeline}>
                      <td>${entry.timeline} → ${entry.timeline + 1}</td>
                      <td data-field="new-leader">${entry.newLeader ?? ''}</td>
                      <td>${dateAndClock(entry.timestamp)}</td>
                      <td class="lsn">${entry.lsn}</td>
                      <td>${entry.reason}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
  `;
}
