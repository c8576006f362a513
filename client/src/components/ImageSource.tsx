/**
 * One image input: choose a file (the picker is a real, keyboard-reachable file input), drop one on the
 * zone, or take a still with the camera. Shows a preview of what was chosen.
 */
import { createSignal, onCleanup, Show, type JSX } from 'solid-js';
import { cameraSupported } from '../lib/camera';
import { bytes } from '../lib/format';
import { CameraCapture } from './CameraCapture';

export interface ImageSourceProps {
  /** DOM id prefix; also the test id prefix. */
  id: string;
  /** Visible heading, e.g. "Reference". */
  label: string;
  /** One line under the heading. */
  hint?: string;
  file: File | null;
  onChange: (file: File | null) => void;
  disabled?: boolean;
}

function firstFile(list: FileList | null | undefined): File | null {
  return list && list.length > 0 ? (list[0] ?? null) : null;
}

/** A thumbnail of the chosen file, or a note when the browser cannot show it (or it is no image). */
function Preview(props: { file: File; label: string }): JSX.Element {
  const url = URL.createObjectURL(props.file);
  onCleanup(() => URL.revokeObjectURL(url));
  const [failed, setFailed] = createSignal(false);
  return (
    <figure class="preview">
      <Show when={!failed()} fallback={<div class="preview-missing">No preview for this file</div>}>
        <img src={url} alt={`${props.label} preview`} onError={() => setFailed(true)} />
      </Show>
      <figcaption>
        <span class="filename">{props.file.name}</span> <span class="muted">({bytes(props.file.size)})</span>
      </figcaption>
    </figure>
  );
}

export function ImageSource(props: ImageSourceProps): JSX.Element {
  let cameraButton: HTMLButtonElement | undefined;
  const [dragging, setDragging] = createSignal(false);
  const [camera, setCamera] = createSignal(false);

  const pick = (file: File | null): void => {
    if (file) props.onChange(file);
  };

  const onDrop = (event: DragEvent): void => {
    event.preventDefault();
    setDragging(false);
    if (props.disabled) return;
    pick(firstFile(event.dataTransfer?.files));
  };

  const headingId = `${props.id}-heading`;
  const hintId = `${props.id}-hint`;

  return (
    <section class="image-source" aria-labelledby={headingId} data-testid={`${props.id}-source`}>
      <h2 id={headingId}>{props.label}</h2>
      <Show when={props.hint}>
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      </Show>
      <Show
        when={!camera()}
        fallback={
          <CameraCapture
            purpose={props.label.toLowerCase()}
            onCapture={(file) => {
              setCamera(false);
              props.onChange(file);
              queueMicrotask(() => cameraButton?.focus());
            }}
            onCancel={() => {
              setCamera(false);
              queueMicrotask(() => cameraButton?.focus());
            }}
          />
        }
      >
        <div
          class="dropzone"
          classList={{ dragging: dragging(), filled: !!props.file }}
          onDragEnter={(e) => {
            e.preventDefault();
            if (!props.disabled) setDragging(true);
          }}
          onDragOver={(e) => {
            e.preventDefault();
            if (e.dataTransfer) e.dataTransfer.dropEffect = props.disabled ? 'none' : 'copy';
          }}
          onDragLeave={(e) => {
            if (e.currentTarget === e.target) setDragging(false);
          }}
          onDrop={onDrop}
          data-testid={`${props.id}-dropzone`}
        >
          <Show
            when={props.file}
            keyed
            fallback={
              <p class="dropzone-empty" aria-hidden="true">
                Drop a photo here
              </p>
            }
          >
            {(file) => <Preview file={file} label={props.label} />}
          </Show>
          <div class="row">
            <label class="button" classList={{ disabled: !!props.disabled }}>
              <input
                id={`${props.id}-file`}
                class="visually-hidden"
                type="file"
                accept="image/*"
                disabled={props.disabled}
                aria-describedby={props.hint ? hintId : undefined}
                data-testid={`${props.id}-file`}
                onChange={(e) => {
                  pick(firstFile(e.currentTarget.files));
                  // Choosing the same file again must fire a change too.
                  e.currentTarget.value = '';
                }}
              />
              {props.file ? 'Choose another file' : 'Choose a file'}
              <span class="visually-hidden"> for the {props.label.toLowerCase()}</span>
            </label>
            <Show when={cameraSupported()}>
              <button
                ref={cameraButton}
                type="button"
                disabled={props.disabled}
                onClick={() => setCamera(true)}
                data-testid={`${props.id}-camera`}
              >
                Use camera<span class="visually-hidden"> for the {props.label.toLowerCase()}</span>
              </button>
            </Show>
            <Show when={props.file}>
              <button type="button" class="link-button" disabled={props.disabled} onClick={() => props.onChange(null)}>
                Clear<span class="visually-hidden"> the {props.label.toLowerCase()}</span>
              </button>
            </Show>
          </div>
        </div>
      </Show>
    </section>
  );
}
