/// <reference lib="dom" />
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { storedCredentials, type Credentials } from './rest-api.ts';
import type { PendingAction } from './types.ts';

const ANY_CANDIDATE = '';

/**
 * Asks before an action: what will happen, the candidate of a switchover, and the REST API's
 * credentials (kept for this tab once given).
 */
export function ActionDialog(props: {
  action: PendingAction;
  confirm: (action: PendingAction, credentials: Credentials) => void;
  cancel: () => void;
}) {
  const { action, confirm, cancel } = props;
  const [credentials, setCredentials] = useState<Credentials>(storedCredentials);
  const [candidate, setCandidate] = useState(action.candidates?.[0] ?? ANY_CANDIDATE);
  const submit = (event: Event) => {
    event.preventDefault();
    const chosen: PendingAction = action.candidates
      ? {
          ...action,
          body:
            candidate === ANY_CANDIDATE
              ? { leader: action.leader }
              : { leader: action.leader, candidate },
        }
      : action;
    confirm(chosen, credentials);
  };
  return html`
    <div class="backdrop">
      <form
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        onSubmit=${submit}
      >
        <h2 id="dialog-title">${action.title}</h2>
        <p>${action.question}</p>
        ${
          action.candidates &&
          html`<label>
            Candidate
            <select
              name="candidate"
              value=${candidate}
              onChange=${(event: Event) => setCandidate((event.target as HTMLSelectElement).value)}
            >
              ${action.candidates.map((name) => html`<option value=${name}>${name}</option>`)}
              <option value=${ANY_CANDIDATE}>any healthy member</option>
            </select>
          </label>`
        }
        <fieldset>
          <legend>REST API credentials</legend>
          <label>
            User
            <input
              name="username"
              autocomplete="username"
              value=${credentials.username}
              onInput=${(event: Event) =>
                setCredentials({
                  ...credentials,
                  username: (event.target as HTMLInputElement).value,
                })}
            />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autocomplete="current-password"
              value=${credentials.password}
              onInput=${(event: Event) =>
                setCredentials({
                  ...credentials,
                  password: (event.target as HTMLInputElement).value,
                })}
            />
          </label>
        </fieldset>
        <div class="actions">
          <button type="button" onClick=${cancel}>Cancel</button>
          <button type="submit" class="confirm">Confirm</button>
        </div>
      </form>
    </div>
  `;
}
