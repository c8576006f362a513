/** The galleries the key may see (the first 50: the query cost limit allows about that many), as a select; the choice is shared by the Gallery and Identify pages. */
import { useClient } from '@urql/solid';
import { createEffect, For, on, Show, type JSX } from 'solid-js';
import { createStore } from 'solid-js/store';
import { graphql } from '../gql';
import type { GalleriesQuery } from '../gql/graphql';
import { apiKey, chooseGallery, chosenGallery } from '../lib/gallery-session';
import { describeError, type HumanError } from '../lib/errors';
import { ErrorBox } from './ErrorBox';

export const GalleriesDocument = graphql(`
  query Galleries {
    galleries(first: 50) {
      edges {
        node {
          id
          name
          subjectCount
          templateCount
          matchPolicy {
            identifyThreshold
            minMargin
          }
        }
      }
    }
  }
`);

export type GalleryItem = GalleriesQuery['galleries']['edges'][number]['node'];

export function GalleryPicker(props: { refresh?: number; onLoaded?: (galleries: GalleryItem[]) => void }): JSX.Element {
  const client = useClient();
  const [state, setState] = createStore<{ galleries: GalleryItem[]; loading: boolean; error: HumanError | null }>({ galleries: [], loading: false, error: null });

  const load = async (): Promise<void> => {
    setState({ loading: true, error: null });
    const result = await client.query(GalleriesDocument, {}, { requestPolicy: 'network-only' }).toPromise();
    if (result.error) {
      setState({ loading: false, error: describeError(result.error), galleries: [] });
      return;
    }
    const galleries = result.data?.galleries.edges.map((e) => e.node) ?? [];
    setState({ loading: false, galleries });
    if (!galleries.some((g) => g.id === chosenGallery())) chooseGallery(galleries[0]?.id ?? '');
    props.onLoaded?.(galleries);
  };
  createEffect(on([apiKey, () => props.refresh], () => void load()));

  return (
    <div class="gallery-picker">
      <label for="gallery-select">Gallery</label>
      <select id="gallery-select" value={chosenGallery()} onChange={(e) => chooseGallery(e.currentTarget.value)} disabled={state.loading || state.galleries.length === 0} data-testid="gallery-select">
        <For each={state.galleries}>
          {(g) => (
            <option value={g.id} selected={g.id === chosenGallery()}>
              {g.name} ({g.subjectCount} {g.subjectCount === 1 ? 'subject' : 'subjects'})
            </option>
          )}
        </For>
      </select>
      <Show when={!state.loading && !state.error && state.galleries.length === 0}>
        <p class="hint">No gallery yet{apiKey() ? '' : ' (or no key)'}.</p>
      </Show>
      <ErrorBox error={state.error} />
    </div>
  );
}
