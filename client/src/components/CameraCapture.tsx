/**
 * A camera preview with "Take photo" and "Cancel". The stream starts when the component mounts and
 * stops when it unmounts, whatever the way out (capture, cancel, navigation).
 */
import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { attachStream, captureStill, openCamera, stopStream } from '../lib/camera';
import { describeCameraError, type HumanError } from '../lib/errors';
import { ErrorBox } from './ErrorBox';

export interface CameraCaptureProps {
  /** What the photo is for, e.g. "probe" (used in labels). */
  purpose: string;
  onCapture: (file: File) => void;
  onCancel: () => void;
}

export function CameraCapture(props: CameraCaptureProps): JSX.Element {
  let video!: HTMLVideoElement;
  let takeButton!: HTMLButtonElement;
  let stream: MediaStream | null = null;
  let disposed = false;
  const [live, setLive] = createSignal(false);
  const [error, setError] = createSignal<HumanError | null>(null);

  onMount(() => {
    void (async () => {
      try {
        const s = await openCamera();
        if (disposed) {
          stopStream(s);
          return;
        }
        stream = s;
        await attachStream(video, s);
        if (disposed) return;
        setLive(true);
        takeButton.focus();
      } catch (e) {
        if (!disposed) setError(describeCameraError(e));
      }
    })();
  });
  onCleanup(() => {
    disposed = true;
    stopStream(stream);
    stream = null;
  });

  const take = async (): Promise<void> => {
    try {
      const file = await captureStill(video);
      props.onCapture(file);
    } catch (e) {
      setError(describeCameraError(e));
    }
  };

  return (
    <div class="camera">
      <div class="camera-frame">
        <video ref={video} class="mirror" autoplay muted playsinline aria-label={`Camera preview for the ${props.purpose}`} />
        <Show when={!live() && !error()}>
          <p class="camera-wait">Starting the camera…</p>
        </Show>
      </div>
      <ErrorBox error={error()} />
      <div class="row">
        <button ref={takeButton} type="button" class="primary" disabled={!live()} onClick={() => void take()}>
          Take photo
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </div>
  );
}
