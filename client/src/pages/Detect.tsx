/** Detect: every face in one image, with boxes, landmarks and detector scores. Runs as soon as an image is chosen. */
import { createMutation } from '@urql/solid';
import { createSignal, For, Show, type JSX } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox';
import { FaceCanvas } from '../components/FaceCanvas';
import { ImageSource } from '../components/ImageSource';
import { StageTimings } from '../components/Timings';
import { graphql } from '../gql';
import type { DetectMutation } from '../gql/graphql';
import { COLORS } from '../lib/draw';
import { checkUpload, describeError, type HumanError } from '../lib/errors';
import { ms, percent, revealResult } from '../lib/format';
import { useService } from '../lib/service';

export const DetectDocument = graphql(`
  mutation Detect($image: File!) {
    detect(image: $image) {
      detector
      faceCount
      image {
        ...ImageInfoFields
      }
      timings {
        ...StageTimingFields
      }
      faces {
        ...FaceFields
      }
    }
  }
`);

interface Shown {
  detection: DetectMutation['detect'];
  file: File;
  roundTripMs: number;
}

export default function DetectPage(): JSX.Element {
  const service = useService();
  const [file, setFile] = createSignal<File | null>(null);
  const [error, setError] = createSignal<HumanError | null>(null);
  const [shown, setShown] = createSignal<Shown | null>(null);
  const [state, detect] = createMutation(DetectDocument);
  let runId = 0;

  const run = async (image: File | null): Promise<void> => {
    const id = ++runId;
    setFile(image);
    setError(null);
    setShown(null);
    if (!image) return;
    const tooLarge = checkUpload(image, service.data()?.info.limits.maxUploadBytes, 'image');
    if (tooLarge) {
      setError(tooLarge);
      return;
    }
    const started = performance.now();
    const result = await detect({ image });
    if (id !== runId) return;
    if (result.error) setError(describeError(result.error));
    else if (result.data) {
      setShown({ detection: result.data.detect, file: image, roundTripMs: performance.now() - started });
      revealResult('detect-result');
    }
  };

  const status = (): string => {
    if (state.fetching) return 'Looking for faces…';
    const s = shown();
    if (!s) return '';
    const n = s.detection.faceCount;
    return n === 0 ? 'No face found in this image.' : `${n} ${n === 1 ? 'face' : 'faces'} found.`;
  };

  return (
    <>
      <h1 tabIndex={-1}>Find faces</h1>
      <p class="lead">See every face the detector finds in a photo: its box, the five landmarks (eyes, nose, mouth corners) and how sure the detector is.</p>
      <ImageSource id="detect" label="Photo" hint="A photo with one or more faces." file={file()} onChange={(f) => void run(f)} disabled={state.fetching} />
      <p class="status" aria-live="polite" data-testid="detect-status">
        {status()}
      </p>
      <ErrorBox error={error()} onDismiss={() => setError(null)} />
      <Show when={shown()}>
        {(s) => {
          const d = (): DetectMutation['detect'] => s().detection;
          return (
            <section id="detect-result" class="result" aria-label="Detected faces" data-testid="detect-result">
              <figure>
                <FaceCanvas
                  image={s().file}
                  width={d().image.width}
                  height={d().image.height}
                  faces={d().faces}
                  color={(_, i) => (i === 0 ? COLORS.neutral : COLORS.other)}
                  label={(f, i) => `${i + 1} · ${percent(f.score)}`}
                  alt={`The photo with ${d().faceCount} detected ${d().faceCount === 1 ? 'face' : 'faces'} boxed and numbered, largest first`}
                  testId="detect-canvas"
                />
                <figcaption>
                  {d().image.width}×{d().image.height} {d().image.format} · detector {d().detector} · {ms(d().timings.totalMs)} on the server,{' '}
                  {ms(s().roundTripMs)} round trip
                </figcaption>
              </figure>
              <Show when={d().faceCount > 0} fallback={<p>No face found. Faces smaller than about 20 pixels, or turned far away, are not detected.</p>}>
                <table class="faces">
                  <caption class="visually-hidden">Detected faces, largest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">Score</th>
                      <th scope="col">Box (x, y)</th>
                      <th scope="col">Size</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={d().faces}>
                      {(f, i) => (
                        <tr>
                          <th scope="row">{i() + 1}</th>
                          <td>{percent(f.score)}</td>
                          <td>
                            {Math.round(f.box.x)}, {Math.round(f.box.y)}
                          </td>
                          <td>
                            {Math.round(f.box.width)}×{Math.round(f.box.height)}
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </Show>
              <details class="timing-details">
                <summary>Timings</summary>
                <StageTimings timings={d().timings} />
              </details>
            </section>
          );
        }}
      </Show>
    </>
  );
}
