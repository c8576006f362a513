/** The API key for gallery operations: entered once per tab, sent with every request (lib/gallery-session.ts). */
import { createSignal, Show, type JSX } from 'solid-js';
import { apiKey, setApiKey } from '../lib/gallery-session';

export function ApiKeyField(props: { onChange?: () => void }): JSX.Element {
  const [draft, setDraft] = createSignal(apiKey());
  const save = (event: Event): void => {
    event.preventDefault();
    setApiKey(draft());
    props.onChange?.();
  };
  return (
    <form class="api-key" onSubmit={save} data-testid="api-key-form">
      <label for="api-key-input">API key</label>
      <input
        id="api-key-input"
        type="password"
        autocomplete="off"
        placeholder="fgk_… or the bootstrap admin key"
        value={draft()}
        onInput={(e) => setDraft(e.currentTarget.value)}
        data-testid="api-key-input"
      />
      <button type="submit">Use key</button>
      <Show when={apiKey()}>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setDraft('');
            setApiKey('');
            props.onChange?.();
          }}
        >
          Forget key
        </button>
      </Show>
      <p class="hint">{apiKey() ? 'A key is set for this tab.' : 'Gallery operations need a key; it is kept for this tab only.'}</p>
    </form>
  );
}
