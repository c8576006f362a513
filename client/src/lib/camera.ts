/** Camera helpers: open a video stream, grab a still from it, stop it. */

export const cameraSupported = (): boolean => typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;

/** A user-facing camera, 640x480 preferred (what the live pipeline is sized for). */
export async function openCamera(): Promise<MediaStream> {
  if (!cameraSupported()) throw new DOMException('getUserMedia is not available', 'NotSupportedError');
  return navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
  });
}

export function stopStream(stream: MediaStream | null | undefined): void {
  stream?.getTracks().forEach((track) => track.stop());
}

/** Resolves once the video knows its size (metadata loaded) and plays. */
export async function attachStream(video: HTMLVideoElement, stream: MediaStream): Promise<void> {
  video.srcObject = stream;
  if (video.readyState < HTMLMediaElement.HAVE_METADATA) {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        video.removeEventListener('loadedmetadata', done);
        video.removeEventListener('error', fail);
        resolve();
      };
      const fail = (): void => {
        video.removeEventListener('loadedmetadata', done);
        video.removeEventListener('error', fail);
        reject(new DOMException('The camera stream could not be played', 'AbortError'));
      };
      video.addEventListener('loadedmetadata', done);
      video.addEventListener('error', fail);
    });
  }
  await video.play();
}

/** The current video frame, drawn into `canvas` (reused between calls) at the video's own size. */
export function drawFrame(video: HTMLVideoElement, canvas: HTMLCanvasElement): boolean {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (w === 0 || h === 0) return false;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return false;
  ctx.drawImage(video, 0, 0, w, h);
  return true;
}

export function canvasToBlob(canvas: HTMLCanvasElement, type = 'image/jpeg', quality = 0.92): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('could not encode the frame'))), type, quality);
  });
}

/** A still from the video as a JPEG `File`. */
export async function captureStill(video: HTMLVideoElement): Promise<File> {
  const canvas = document.createElement('canvas');
  if (!drawFrame(video, canvas)) throw new DOMException('The camera has no picture yet', 'AbortError');
  const blob = await canvasToBlob(canvas);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return new File([blob], `camera-${stamp}.jpg`, { type: 'image/jpeg' });
}
