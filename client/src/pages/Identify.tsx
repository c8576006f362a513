/**
 * Identify: who in a gallery is the person in a photo? The answer is MATCH (one enrolled subject passes
 * the gallery's identification threshold and beats the runner-up by its margin), NO_MATCH (nobody
 * enrolled is close enough: an unknown person) or AMBIGUOUS (two enrolled people are both close), with
 * the best candidates and their similarities.
 */
import { useClient } from '@urql/solid';
import { createSignal, For, Show, type JSX } from 'solid-js';
import { ApiKeyField } from '../components/ApiKeyField';
import { ErrorBox } from '../components/ErrorBox';
import { FaceCanvas } from '../components/FaceCanvas';
import { GalleryPicker } from '../components/GalleryPicker';
import { ImageSource } from '../components/ImageSource';
import { graphql } from '../gql';
import type { IdentifyFaceMutation } from '../gql/graphql';
import { COLORS } from '../lib/draw';
import { checkUpload, describeError, type HumanError } from '../lib/errors';
import { fixed, ms, revealResult } from '../lib/format';
import { chosenGallery } from '../lib/gallery-session';
import { useService } from '../lib/service';

export const IdentifyFaceDocument = graphql(`
  mutation IdentifyFace($galleryId: ID!, $probe: File!, $topK: Int) {
    identifyFace(galleryId: $galleryId, probe: $probe, topK: $topK) {
      decision
      subject {
        id
        displayName
        externalId
      }
      candidates {
        rank
        similarity
        subject {
          id
          displayName
          externalId
        }
      }
      threshold
      minMargin
      margin
      subjectsSearched
      searchMs
      probe {
        faceCount
        image {
          width
          height
        }
        face {
          ...FaceFields
        }
      }
    }
  }
`);

type Identification = IdentifyFaceMutation['identifyFace'];

const VERDICT: Record<Identification['decision'], { icon: string; text: string; cls: string }> = {
  MATCH: { icon: '✓', text: 'Match', cls: 'is-match' },
  NO_MATCH: { icon: '✕', text: 'No match', cls: 'is-nomatch' },
  AMBIGUOUS: { icon: '?', text: 'Ambiguous', cls: 'is-ambiguous' },
};

function nameOf(s: { displayName?: string | null; externalId?: string | null; id: string }): string {
  return s.displayName ?? s.externalId ?? s.id;
}

export default function IdentifyPage(): JSX.Element {
  const client = useClient();
  const service = useService();
  const [probe, setProbe] = createSignal<File | null>(null);
  const [error, setError] = createSignal<HumanError | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [shown, setShown] = createSignal<{ id: Identification; file: File; roundTripMs: number } | null>(null);
  const [refresh, setRefresh] = createSignal(0);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const file = probe();
    if (!file || !chosenGallery()) return;
    setError(null);
    setShown(null);
    const tooLarge = checkUpload(file, service.data()?.info.limits.maxUploadBytes, 'probe');
    if (tooLarge) {
      setError(tooLarge);
      return;
    }
    setBusy(true);
    const started = performance.now();
    const result = await client.mutation(IdentifyFaceDocument, { galleryId: chosenGallery(), probe: file, topK: 5 }).toPromise();
    setBusy(false);
    if (result.error) setError(describeError(result.error));
    else if (result.data) {
      setShown({ id: result.data.identifyFace, file, roundTripMs: performance.now() - started });
      revealResult('identify-result');
    }
  };

  const sub = (id: Identification): string => {
    if (id.decision === 'MATCH') return `${nameOf(id.subject!)}, similarity ${fixed(id.candidates[0]!.similarity)}`;
    if (id.decision === 'AMBIGUOUS') return `${id.candidates.slice(0, 2).map((c) => nameOf(c.subject)).join(' and ')} are both close (margin ${fixed(id.margin ?? 0)} < ${fixed(id.minMargin)})`;
    return id.candidates.length === 0 ? 'the gallery is empty' : `nobody enrolled reaches ${fixed(id.threshold)}: an unknown person`;
  };

  return (
    <>
      <h1 tabIndex={-1}>Identify</h1>
      <p class="lead">Who is this? The photo's face is compared with everyone enrolled in the gallery; strangers are answered as unknown, not as the nearest person.</p>
      <ApiKeyField onChange={() => setRefresh(refresh() + 1)} />
      <form onSubmit={(e) => void submit(e)}>
        <GalleryPicker refresh={refresh()} />
        <ImageSource id="identify-probe" label="Photo" hint="A photo of the person to identify." file={probe()} onChange={setProbe} disabled={busy()} />
        <div class="row actions">
          <button type="submit" class="primary big" disabled={busy() || !probe() || !chosenGallery()} data-testid="identify-button">
            {busy() ? 'Identifying…' : 'Identify'}
          </button>
        </div>
      </form>
      <ErrorBox error={error()} onDismiss={() => setError(null)} />
      <Show when={shown()}>
        {(s) => {
          const id = (): Identification => s().id;
          const v = (): (typeof VERDICT)[keyof typeof VERDICT] => VERDICT[id().decision];
          return (
            <section id="identify-result" class="result" aria-label="Identification" data-testid="identify-result">
              <div class={`verdict ${v().cls}`} data-testid="identify-verdict" data-decision={id().decision} role="status">
                <span class="verdict-icon" aria-hidden="true">
                  {v().icon}
                </span>
                <span class="verdict-text" data-testid="identify-verdict-text">
                  {v().text}
                </span>
                <span class="verdict-sub">{sub(id())}</span>
              </div>
              <p class="muted">
                Threshold {fixed(id().threshold)}, minimum margin {fixed(id().minMargin)}
                {id().margin != null ? `, margin ${fixed(id().margin!)}` : ''} · {id().subjectsSearched} subjects searched in {ms(id().searchMs)} · {ms(s().roundTripMs)} round trip
              </p>
              <figure class="probe-figure">
                <FaceCanvas
                  image={s().file}
                  width={id().probe.image.width}
                  height={id().probe.image.height}
                  faces={[id().probe.face]}
                  color={() => (id().decision === 'MATCH' ? COLORS.match : COLORS.noMatch)}
                  alt={`The photo with the face that was searched boxed (${id().probe.faceCount} ${id().probe.faceCount === 1 ? 'face' : 'faces'} found)`}
                  testId="identify-canvas"
                />
              </figure>
              <Show when={id().candidates.length > 0}>
                <table class="candidates" data-testid="candidates">
                  <caption>Closest enrolled people</caption>
                  <thead>
                    <tr>
                      <th scope="col">Rank</th>
                      <th scope="col">Name</th>
                      <th scope="col">External id</th>
                      <th scope="col">Similarity</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={id().candidates}>
                      {(c) => (
                        <tr data-testid="candidate">
                          <th scope="row">{c.rank}</th>
                          <td>{nameOf(c.subject)}</td>
                          <td>{c.subject.externalId ?? '—'}</td>
                          <td>{fixed(c.similarity)}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </Show>
            </section>
          );
        }}
      </Show>
    </>
  );
}
