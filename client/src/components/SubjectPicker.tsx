/** The enrolled subjects of the chosen gallery (lib/gallery-session.ts), as a select, for the Live page. */
import { useClient } from '@urql/solid';
import { createEffect, For, on, Show, type JSX } from 'solid-js';
import { createStore } from 'solid-js/store';
import { graphql } from '../gql';
import type { LiveSubjectsQuery } from '../gql/graphql';
import { describeError, type HumanError } from '../lib/errors';
import { apiKey, chosenGallery } from '../lib/gallery-session';
import { ErrorBox } from './ErrorBox';

export const LiveSubjectsDocument = graphql(`
  query LiveSubjects($galleryId: ID!) {
    gallery(id: $galleryId) {
      id
      subjects(first: 100) {
        totalCount
        edges {
          node {
            id
            externalId
            displayName
            templateCount
          }
        }
      }
    }
  }
`);

type SubjectItem = NonNullable<LiveSubjectsQuery['gallery']>['subjects']['edges'][number]['node'];

/** A subject's name for people: its display name, its external id, or its id. */
export function subjectLabel(s: { id: string; displayName?: string | null; externalId?: string | null }): string {
  if (s.displayName && s.externalId) return `${s.displayName} (${s.externalId})`;
  return s.displayName ?? s.externalId ?? s.id;
}

export function SubjectPicker(props: { value: string; onChange: (subjectId: string) => void }): JSX.Element {
  const client = useClient();
  const [state, setState] = createStore<{ subjects: SubjectItem[]; total: number; loading: boolean; error: HumanError | null }>({ subjects: [], total: 0, loading: false, error: null });

  const load = async (galleryId: string): Promise<void> => {
    if (!galleryId) {
      setState({ subjects: [], total: 0, loading: false, error: null });
      props.onChange('');
      return;
    }
    setState({ loading: true, error: null });
    const result = await client.query(LiveSubjectsDocument, { galleryId }, { requestPolicy: 'network-only' }).toPromise();
    if (galleryId !== chosenGallery()) return; // another gallery was chosen meanwhile
    if (result.error) {
      setState({ loading: false, error: describeError(result.error), subjects: [], total: 0 });
      props.onChange('');
      return;
    }
    const connection = result.data?.gallery?.subjects;
    // Only subjects with templates can be verified against.
    const subjects = (connection?.edges.map((e) => e.node) ?? []).filter((s) => s.templateCount > 0);
    setState({ loading: false, subjects, total: connection?.totalCount ?? 0 });
    if (!subjects.some((s) => s.id === props.value)) props.onChange(subjects[0]?.id ?? '');
  };
  createEffect(on([chosenGallery, apiKey], ([galleryId]) => void load(galleryId)));

  return (
    <div class="gallery-picker">
      <label for="live-subject-select">Subject</label>
      <select id="live-subject-select" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} disabled={state.loading || state.subjects.length === 0} data-testid="live-subject-select">
        <For each={state.subjects}>
          {(s) => (
            <option value={s.id} selected={s.id === props.value}>
              {subjectLabel(s)}
            </option>
          )}
        </For>
      </select>
      <Show when={!state.loading && !state.error && chosenGallery() && state.subjects.length === 0}>
        <p class="hint">No subject with enrolled faces in this gallery yet.</p>
      </Show>
      <Show when={state.total > 100}>
        <p class="hint">The first 100 subjects are listed.</p>
      </Show>
      <ErrorBox error={state.error} />
    </div>
  );
}
