/**
 * An image with its faces drawn over it on one canvas: boxes, the five landmarks, optional labels.
 * The canvas keeps the image's aspect ratio and scales to its container's width (CSS); its own
 * resolution comes from `canvasScale`. When the browser cannot decode the image (a TIFF, say), the boxes
 * are drawn on a plain background of the image's size, with a note.
 */
import { createEffect, createResource, onCleanup, Show, type JSX } from 'solid-js';
import { graphql } from '../gql';
import { canvasScale, drawFaces, type FaceLike } from '../lib/draw';

export const FaceFields = graphql(`
  fragment FaceFields on Face {
    score
    box {
      x
      y
      width
      height
    }
    landmarks {
      leftEye {
        x
        y
      }
      rightEye {
        x
        y
      }
      nose {
        x
        y
      }
      mouthLeft {
        x
        y
      }
      mouthRight {
        x
        y
      }
    }
  }
`);

export interface FaceCanvasProps {
  /** The image file as uploaded. */
  image: Blob;
  /** Its size as the server decoded it (after EXIF orientation): the faces' coordinate system. */
  width: number;
  height: number;
  faces: readonly FaceLike[];
  color: (face: FaceLike, index: number) => string;
  label?: (face: FaceLike, index: number) => string;
  /** Accessible description of what the canvas shows. */
  alt: string;
  testId?: string;
  /** Called with the index of the face whose box was clicked (the smallest box under the pointer). */
  onPick?: (index: number) => void;
}

/** Index of the smallest face box containing the image point, or -1. */
export function faceAt(faces: readonly FaceLike[], x: number, y: number): number {
  let best = -1;
  let bestArea = Infinity;
  faces.forEach((f, i) => {
    const { box } = f;
    const area = box.width * box.height;
    if (x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height && area < bestArea) {
      best = i;
      bestArea = area;
    }
  });
  return best;
}

async function decode(blob: Blob): Promise<ImageBitmap | null> {
  try {
    return await createImageBitmap(blob);
  } catch {
    return null;
  }
}

export function FaceCanvas(props: FaceCanvasProps): JSX.Element {
  let canvas!: HTMLCanvasElement;
  const [bitmap] = createResource(() => props.image, decode);
  createEffect(() => {
    const bmp = bitmap();
    onCleanup(() => bmp?.close());
  });

  createEffect(() => {
    if (bitmap.loading) return;
    const bmp = bitmap();
    const scale = canvasScale(props.width, props.height);
    canvas.width = Math.round(props.width * scale);
    canvas.height = Math.round(props.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.imageSmoothingQuality = 'high';
    if (bmp) {
      ctx.drawImage(bmp, 0, 0, canvas.width, canvas.height);
    } else {
      ctx.fillStyle = '#e5e7eb';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }
    drawFaces(ctx, props.faces, { scale, color: props.color, ...(props.label ? { label: props.label } : {}) });
    canvas.dataset['drawn'] = 'true';
    canvas.dataset['scale'] = String(scale);
  });

  const click = (event: MouseEvent): void => {
    const pick = props.onPick;
    if (!pick) return;
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * props.width;
    const y = ((event.clientY - rect.top) / rect.height) * props.height;
    const index = faceAt(props.faces, x, y);
    if (index >= 0) pick(index);
  };

  return (
    <div class="face-canvas">
      <canvas
        ref={canvas}
        role="img"
        aria-label={props.alt}
        data-testid={props.testId}
        data-drawn="false"
        classList={{ pickable: !!props.onPick }}
        onClick={click}
      />
      <Show when={!bitmap.loading && bitmap() === null}>
        <p class="note">This browser cannot display this image format; the faces are drawn on a blank frame of its size.</p>
      </Show>
    </div>
  );
}
