/** An error said for people: what happened and what to do, with the server's words in small print. */
import { Show, type JSX } from 'solid-js';
import type { HumanError } from '../lib/errors';

export function ErrorBox(props: { error: HumanError | null; onDismiss?: () => void }): JSX.Element {
  return (
    <div role="alert" class="error-slot">
      <Show when={props.error}>
        {(error) => (
          <div class="error-box" data-code={error().code}>
            <p class="error-message">{error().message}</p>
            <Show when={error().detail}>
              <p class="error-detail">
                Details: {error().detail} <span class="code">({error().code})</span>
              </p>
            </Show>
            <Show when={props.onDismiss}>
              <button type="button" class="link-button" onClick={() => props.onDismiss?.()}>
                Dismiss
              </button>
            </Show>
          </div>
        )}
      </Show>
    </div>
  );
}
