/// <reference lib="dom" />
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ActionDialog } from './action-dialog.ts';
import { ClusterSummary } from './cluster-summary.ts';
import { EventList } from './event-list.ts';
import { useLiveFeed } from './live-feed.ts';
import { MemberCard } from './member-card.ts';
import { callApi, storeCredentials, type ApiAnswer, type Credentials } from './rest-api.ts';
import { TimelineHistory } from './timeline-history.ts';
import type { PendingAction } from './types.ts';

interface Outcome extends ApiAnswer {
  readonly what: string;
  readonly running: boolean;
}

function ConnectionState(props: { connected: boolean; lostAt: number | undefined }) {
  return props.connected
    ? html`<span class="connection live" data-connection="live">● live</span>`
    : html`<span class="connection lost" data-connection="lost" role="status">
        ○
        ${props.lostAt ? `reconnecting since ${new Date(props.lostAt).toLocaleTimeString([], { hour12: false })}` : 'connecting'}…
      </span>`;
}

function OutcomeNotice(props: { outcome: Outcome; close: () => void }) {
  const { outcome } = props;
  const kind = outcome.running ? 'running' : outcome.ok ? 'ok' : 'refused';
  return html`<div class="notice ${kind}" role="status" data-outcome=${kind}>
    <strong>${outcome.what}:</strong>
    ${
      outcome.running
        ? ' waiting for the answer…'
        : html` ${outcome.ok ? 'done' : 'refused'}${outcome.status ? ` (HTTP ${outcome.status})` : ''}
            <span class="message" data-field="api-message">${outcome.message}</span>`
    }
    ${!outcome.running && html`<button type="button" onClick=${props.close} aria-label="Dismiss">×</button>`}
  </div>`;
}

function App() {
  const feed = useLiveFeed('stream');
  const [pending, setPending] = useState<PendingAction | undefined>();
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const document = feed.document;
  const leader = document?.lease?.holder;

  useEffect(() => {
    const body = window.document.body;
    if (document && !body.dataset['firstRender'])
      body.dataset['firstRender'] = String(performance.now());
    if (leader && body.dataset['leader'] !== leader) {
      body.dataset['leader'] = leader;
      body.dataset['leaderShownAt'] = String(Date.now());
    }
  }, [document, leader]);

  const confirm = async (action: PendingAction, credentials: Credentials) => {
    storeCredentials(credentials);
    setPending(undefined);
    const what = action.title;
    setOutcome({ what, running: true, ok: false, status: 0, message: '' });
    const answer = await callApi(action.method, action.path, action.body, credentials);
    setOutcome({ what, running: false, ...answer });
  };

  return html`
    <header class="top">
      <h1>natroni <span class="scope">${document?.scope ?? ''}</span></h1>
      ${document?.paused && html`<span class="badge" data-field="paused-badge">PAUSED</span>`}
      <${ConnectionState} connected=${feed.connected} lostAt=${feed.lostAt} />
    </header>
    <main class=${!feed.connected && document ? 'stale' : ''}>
      ${
        !feed.connected &&
        document &&
        html`<p class="stale-note" role="status">
          The last state received, at
          ${new Date(document.generatedAt).toLocaleTimeString([], { hour12: false })}: it may have
          changed since.
        </p>`
      }
      ${outcome && html`<${OutcomeNotice} outcome=${outcome} close=${() => setOutcome(undefined)} />`}
      ${
        document
          ? html`
              <${ClusterSummary} document=${document} ask=${setPending} />
              <section aria-labelledby="members-title">
                <h2 id="members-title">Members (${document.members.length})</h2>
                <div class="members">
                  ${document.members.map(
                    (member) =>
                      html`<${MemberCard}
                        key=${member.name}
                        member=${member}
                        leader=${leader}
                        ask=${setPending}
                      />`,
                  )}
                </div>
              </section>
              <${TimelineHistory} history=${document.history} />
            `
          : html`<p class="empty">Waiting for the gateway…</p>`
      }
      <${EventList} events=${feed.events} />
    </main>
    ${
      pending &&
      html`<${ActionDialog}
        action=${pending}
        confirm=${(action: PendingAction, credentials: Credentials) => void confirm(action, credentials)}
        cancel=${() => setPending(undefined)}
      />`
    }
  `;
}

render(html`<${App} />`, document.getElementById('app') as HTMLElement);
