/**
 * Verify: a reference and a probe (file, drop or camera) -> same person or not. Shows both images with
 * the compared faces drawn, the similarity against the threshold, and the timings.
 */
import { createMutation } from '@urql/solid';
import { createSignal, For, Show, type JSX } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox';
import { FaceCanvas } from '../components/FaceCanvas';
import { Gauge } from '../components/Gauge';
import { ImageSource } from '../components/ImageSource';
import { StageTimings } from '../components/Timings';
import { graphql } from '../gql';
import type { VerifyMutation } from '../gql/graphql';
import { COLORS } from '../lib/draw';
import { checkUpload, describeError, type HumanError } from '../lib/errors';
import { fixed, ms, revealResult } from '../lib/format';
import { useService } from '../lib/service';

// Sides are spelled out rather than spread from a shared fragment. (They were written so when the server's
// depth limit counted each spread as a level; it now counts fragments by content, so a fragment would fit.)
export const VerifyDocument = graphql(`
  mutation Verify($reference: File!, $probe: File!, $threshold: Float, $referenceFace: FaceSelector, $probeFace: FaceSelector) {
    verify(reference: $reference, probe: $probe, threshold: $threshold, referenceFace: $referenceFace, probeFace: $probeFace) {
      match
      similarity
      distance
      threshold
      model
      timings {
        compareMs
        totalMs
      }
      reference {
        faceCount
        image {
          ...ImageInfoFields
        }
        timings {
          ...StageTimingFields
        }
        face {
          ...FaceFields
        }
        faces {
          ...FaceFields
        }
        selection {
          index
          rule
          ambiguous
          runnerUpIndex
        }
      }
      probe {
        faceCount
        image {
          ...ImageInfoFields
        }
        timings {
          ...StageTimingFields
        }
        face {
          ...FaceFields
        }
        faces {
          ...FaceFields
        }
        selection {
          index
          rule
          ambiguous
          runnerUpIndex
        }
      }
    }
  }
`);


interface Shown {
  verification: VerifyMutation['verify'];
  reference: File;
  probe: File;
  roundTripMs: number;
}

type Side = VerifyMutation['verify']['reference'];

function facesNote(side: Side): string {
  if (side.faceCount <= 1) return '1 face found';
  const which = side.selection.rule === 'INDEX' ? 'the one you picked' : 'the most prominent';
  return `${side.faceCount} faces found; face ${side.selection.index + 1} (${which}) was compared`;
}

/**
 * One side of the result: the photo with every face drawn (the compared one in the verdict's colour,
 * the others grey and numbered), how many faces it held, and, when there are several, a way to compare
 * another one: click its box, or use its button.
 */
function ComparedFace(props: {
  side: 'reference' | 'probe';
  label: string;
  file: File;
  result: Side;
  color: () => string;
  onPick: (index: number) => void;
  disabled: boolean;
}): JSX.Element {
  const chosen = (): number => props.result.selection.index;
  const several = (): boolean => props.result.faceCount > 1;
  const pick = (index: number): void => {
    if (!props.disabled && index !== chosen()) props.onPick(index);
  };
  return (
    <figure>
      <FaceCanvas
        image={props.file}
        width={props.result.image.width}
        height={props.result.image.height}
        faces={props.result.faces}
        color={(_f, i) => (i === chosen() ? props.color() : COLORS.other)}
        label={(_f, i) => (several() ? String(i + 1) : '')}
        alt={`${props.label} photo with ${several() ? `its ${props.result.faceCount} faces boxed; face ${chosen() + 1} was compared` : 'the compared face boxed and its five landmarks marked'}`}
        testId={`${props.side}-canvas`}
        {...(several() ? { onPick: pick } : {})}
      />
      <figcaption>
        <strong>{props.label}</strong> · <span data-testid={`${props.side}-faces-note`}>{facesNote(props.result)}</span>
        <Show when={props.result.selection.ambiguous}>
          <span class="warn" data-testid={`${props.side}-ambiguous`}>
            {' '}
            · Face {(props.result.selection.runnerUpIndex ?? 0) + 1} is almost as prominent: check that the right person was compared.
          </span>
        </Show>
      </figcaption>
      <Show when={several()}>
        <div class="face-picker" role="group" aria-label={`Which face of the ${props.label.toLowerCase()} to compare`}>
          <For each={props.result.faces}>
            {(_face, i) => (
              <button
                type="button"
                class="small"
                aria-pressed={i() === chosen()}
                disabled={props.disabled || i() === chosen()}
                onClick={() => pick(i())}
                data-testid={`${props.side}-pick-${i() + 1}`}
              >
                {i() === chosen() ? `Face ${i() + 1} (compared)` : `Compare face ${i() + 1}`}
              </button>
            )}
          </For>
        </div>
      </Show>
    </figure>
  );
}

export default function VerifyPage(): JSX.Element {
  const service = useService();
  const [reference, setReference] = createSignal<File | null>(null);
  const [probe, setProbe] = createSignal<File | null>(null);
  const [threshold, setThreshold] = createSignal<string>('');
  const [error, setError] = createSignal<HumanError | null>(null);
  const [shown, setShown] = createSignal<Shown | null>(null);
  const [state, verify] = createMutation(VerifyDocument);
  let runId = 0;

  const change = (set: (f: File | null) => void) => (file: File | null) => {
    set(file);
    setShown(null);
    setError(null);
  };

  const thresholdValue = (): number | null => {
    const raw = threshold().trim();
    if (raw === '') return null;
    const value = Number(raw);
    return Number.isFinite(value) && value >= -1 && value <= 1 ? value : null;
  };

  /** Runs a verification; `faces` names the face of each side (undefined: the server's default choice). */
  const run = async (ref: File, prb: File, faces: { reference?: number; probe?: number } = {}): Promise<void> => {
    const id = ++runId;
    setError(null);
    const started = performance.now();
    const result = await verify({
      reference: ref,
      probe: prb,
      threshold: thresholdValue(),
      referenceFace: faces.reference === undefined ? null : { index: faces.reference },
      probeFace: faces.probe === undefined ? null : { index: faces.probe },
    });
    if (id !== runId) return;
    if (result.error) {
      setError(describeError(result.error));
      return;
    }
    if (result.data) {
      setShown({ verification: result.data.verify, reference: ref, probe: prb, roundTripMs: performance.now() - started });
      revealResult('verify-result');
    }
  };

  /** Compares another face of one side, keeping the other side's face. */
  const pickFace = (side: 'reference' | 'probe', index: number): void => {
    const s = shown();
    if (!s) return;
    const keep = (which: 'reference' | 'probe'): number => s.verification[which].selection.index;
    const faces = side === 'reference' ? { reference: index, probe: keep('probe') } : { reference: keep('reference'), probe: index };
    void run(s.reference, s.probe, faces);
  };

  const submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const ref = reference();
    const prb = probe();
    if (!ref || !prb) {
      setError({ code: 'BAD_REQUEST', message: `Choose ${!ref && !prb ? 'both images' : !ref ? 'a reference image' : 'a probe image'} first.` });
      return;
    }
    const maxBytes = service.data()?.info.limits.maxUploadBytes;
    const tooLarge = checkUpload(ref, maxBytes, 'reference') ?? checkUpload(prb, maxBytes, 'probe');
    if (tooLarge) {
      setError(tooLarge);
      return;
    }
    setShown(null);
    await run(ref, prb);
  };

  const summary = (): string => {
    const s = shown();
    if (state.fetching) return 'Verifying…';
    if (!s) return '';
    const v = s.verification;
    return `${v.match ? 'Match' : 'No match'}. Similarity ${fixed(v.similarity)}, threshold ${fixed(v.threshold)}.`;
  };

  return (
    <>
      <h1 tabIndex={-1}>Verify two faces</h1>
      <p class="lead">
        Are these two photos of the same person? Choose a <strong>reference</strong> photo and a <strong>probe</strong> photo, from a
        file, by dropping it here, or with your camera, then press Verify.
      </p>
      <form class="verify-form" onSubmit={(e) => void submit(e)} aria-describedby="verify-privacy">
        <div class="pair">
          <ImageSource id="reference" label="Reference" hint="The known photo, e.g. an ID picture." file={reference()} onChange={change(setReference)} disabled={state.fetching} />
          <ImageSource id="probe" label="Probe" hint="The photo to check against it." file={probe()} onChange={change(setProbe)} disabled={state.fetching} />
        </div>
        <details class="options">
          <summary>Options</summary>
          <label for="threshold">Match threshold (cosine similarity, −1 to 1)</label>
          <input
            id="threshold"
            type="number"
            inputmode="decimal"
            min="-1"
            max="1"
            step="0.01"
            placeholder={service.data() ? `server default: ${fixed(service.data()!.info.defaultThreshold, 2)}` : 'server default'}
            value={threshold()}
            onInput={(e) => setThreshold(e.currentTarget.value)}
          />
        </details>
        <div class="row actions">
          <button type="submit" class="primary big" disabled={state.fetching || !reference() || !probe()} aria-describedby="verify-status" data-testid="verify-button">
            {state.fetching ? 'Verifying…' : 'Verify'}
          </button>
          <Show when={!reference() || !probe()}>
            <span class="muted">Choose both photos to verify.</span>
          </Show>
        </div>
        <p id="verify-privacy" class="fineprint">
          Photos are sent to this facegate server for comparison and are not stored.
        </p>
      </form>

      <p id="verify-status" class="visually-hidden" aria-live="polite" data-testid="verify-status">
        {summary()}
      </p>
      <ErrorBox error={error()} onDismiss={() => setError(null)} />

      <Show when={shown()}>
        {(s) => {
          const v = (): VerifyMutation['verify'] => s().verification;
          const color = (): string => (v().match ? COLORS.match : COLORS.noMatch);
          return (
            <section id="verify-result" class="result" aria-labelledby="result-heading" data-testid="verify-result">
              <h2 id="result-heading" class="visually-hidden">
                Result
              </h2>
              <div class="verdict" classList={{ 'is-match': v().match, 'is-nomatch': !v().match }} data-testid="verdict">
                <span class="verdict-icon" aria-hidden="true">
                  {v().match ? '✓' : '✕'}
                </span>
                <span class="verdict-text" data-testid="verdict-text">
                  {v().match ? 'Match' : 'No match'}
                </span>
                <span class="verdict-sub">{v().match ? 'likely the same person' : 'likely different people'}</span>
              </div>
              <p class="similarity">
                Similarity <strong data-testid="similarity">{fixed(v().similarity)}</strong>
                <span class="muted">
                  {' '}
                  {v().match ? '≥' : '<'} threshold {fixed(v().threshold)} · distance {fixed(v().distance)}
                </span>
              </p>
              <Gauge value={v().similarity} threshold={v().threshold} match={v().match} />
              <div class="pair">
                <ComparedFace side="reference" label="Reference" file={s().reference} result={v().reference} color={color} onPick={(i) => pickFace('reference', i)} disabled={state.fetching} />
                <ComparedFace side="probe" label="Probe" file={s().probe} result={v().probe} color={color} onPick={(i) => pickFace('probe', i)} disabled={state.fetching} />
              </div>
              <details class="timing-details">
                <summary>
                  Took <span data-testid="server-ms">{ms(v().timings.totalMs)}</span> on the server, {ms(s().roundTripMs)} round trip
                  <span class="muted"> · model {v().model}</span>
                </summary>
                <div class="pair">
                  <StageTimings timings={v().reference.timings} caption="Reference" />
                  <StageTimings timings={v().probe.timings} caption="Probe" />
                </div>
                <p class="muted">Comparison: {ms(v().timings.compareMs)}. Both images run in parallel.</p>
              </details>
            </section>
          );
        }}
      </Show>
    </>
  );
}
