/**
 * Human messages for the API's errors. Every server error carries `extensions.code` (DESIGN.md section 4);
 * urql wraps them, or a network failure, in a `CombinedError`. `describeError` picks the first error and
 * says what happened and what to do, naming the image concerned when the server said which
 * (`extensions.argument`: `reference`, `probe`, `image`).
 */
import type { CombinedError } from '@urql/core';

export type ApiErrorCode =
  | 'BAD_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'IMAGE_TOO_LARGE'
  | 'NO_FACE'
  | 'FACE_INDEX_OUT_OF_RANGE'
  | 'BAD_REQUEST'
  | 'SESSION_NOT_FOUND'
  | 'OVERLOADED'
  | 'TIMEOUT'
  | 'TOO_MANY_ATTEMPTS'
  | 'INTERNAL'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LIMIT_EXCEEDED'
  | 'SESSION_ON_OTHER_REPLICA'
  | 'DATABASE_UNAVAILABLE'
  | 'NETWORK'
  | 'CAMERA';

export interface HumanError {
  code: ApiErrorCode;
  /** One or two sentences for the user. */
  message: string;
  /** The server's own message, when it adds something (shown smaller). */
  detail?: string;
  /** Which input it is about, when known (reference, probe, image, frame). */
  argument?: string;
}

const KNOWN = new Set<string>([
  'BAD_IMAGE',
  'UNSUPPORTED_FORMAT',
  'IMAGE_TOO_LARGE',
  'NO_FACE',
  'FACE_INDEX_OUT_OF_RANGE',
  'BAD_REQUEST',
  'SESSION_NOT_FOUND',
  'OVERLOADED',
  'TIMEOUT',
  'TOO_MANY_ATTEMPTS',
  'INTERNAL',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'LIMIT_EXCEEDED',
  'SESSION_ON_OTHER_REPLICA',
  'DATABASE_UNAVAILABLE',
]);

const ARGUMENT_NAMES: Record<string, string> = {
  reference: 'reference image',
  probe: 'probe image',
  image: 'image',
  frame: 'camera frame',
};

function subject(argument: string | undefined): string {
  return (argument && ARGUMENT_NAMES[argument]) ?? 'image';
}

/** The message for a code; `argument` names the image it is about. */
export function messageFor(code: ApiErrorCode, argument?: string): string {
  const what = subject(argument);
  switch (code) {
    case 'NO_FACE':
      return `No face was found in the ${what}. Try a sharper, well-lit photo where the face is upright and not too small.`;
    case 'FACE_INDEX_OUT_OF_RANGE':
      return `The ${what} has no face with that number. Pick one of the faces drawn on it.`;
    case 'BAD_IMAGE':
      return `The ${what} could not be read as a picture. The file may be damaged, or it is not an image.`;
    case 'UNSUPPORTED_FORMAT':
      return `The ${what} is not a picture facegate can read. Use a JPEG, PNG, WebP, GIF, AVIF or TIFF image.`;
    case 'IMAGE_TOO_LARGE':
      return `The ${what} is too large. Use a smaller photo, or scale it down first.`;
    case 'OVERLOADED':
      return 'The server is busy right now. Please try again in a moment.';
    case 'TIMEOUT':
      return 'The server took too long to answer. Please try again.';
    case 'TOO_MANY_ATTEMPTS':
      return 'Too many challenges were not completed from here. Wait a few minutes before trying again.';
    case 'SESSION_NOT_FOUND':
      return 'The live session has ended (it expired or the server restarted). Start it again.';
    case 'BAD_REQUEST':
      return 'The server refused the request.';
    case 'UNAUTHENTICATED':
      return 'The gallery needs an API key. Enter a valid key above (an administrator creates keys with createApiKey).';
    case 'FORBIDDEN':
      return 'This API key is not allowed to do that in this gallery. Ask for a key with the right scope.';
    case 'NOT_FOUND':
      return 'That gallery or subject does not exist any more. It may have been deleted; reload the list.';
    case 'CONFLICT':
      return 'That name or external id is already taken. Choose another one.';
    case 'LIMIT_EXCEEDED':
      return 'That is over one of the gallery\'s limits (images per request, templates per subject or subjects).';
    case 'SESSION_ON_OTHER_REPLICA':
      return 'The live session is held by another server behind the load balancer, which did not route this request to it. Start the session again; if it keeps happening, the proxy is not passing the routing cookie.';
    case 'DATABASE_UNAVAILABLE':
      return 'The gallery database cannot be reached right now. Verify and Detect still work; try the gallery again in a moment.';
    case 'NETWORK':
      return 'Cannot reach the facegate server. Check your connection, or that the server is running, and try again.';
    case 'CAMERA':
      return 'The camera could not be used.';
    case 'INTERNAL':
      return 'Something went wrong on the server. Please try again; if it keeps happening, the server log says why.';
  }
}

/** The message for a code given as a string (from a payload): unknown codes read as INTERNAL. */
export function messageForCode(code: string, argument?: string): string {
  return messageFor((KNOWN.has(code) ? code : 'INTERNAL') as ApiErrorCode, argument);
}

/** Reads the first GraphQL error's code and argument, or reports a network failure. */
export function describeError(error: CombinedError): HumanError {
  const first = error.graphQLErrors[0];
  if (first) {
    const ext = (first.extensions ?? {}) as Record<string, unknown>;
    const rawCode = typeof ext['code'] === 'string' ? ext['code'] : 'INTERNAL';
    const code = (KNOWN.has(rawCode) ? rawCode : 'INTERNAL') as ApiErrorCode;
    const argument = typeof ext['argument'] === 'string' ? ext['argument'] : undefined;
    const detail = code === 'INTERNAL' ? undefined : first.message;
    return { code, message: messageFor(code, argument), ...(detail ? { detail } : {}), ...(argument ? { argument } : {}) };
  }
  const status = (error.response as { status?: number } | undefined)?.status;
  if (status === 503) return { code: 'OVERLOADED', message: messageFor('OVERLOADED') };
  if (status === 504) return { code: 'TIMEOUT', message: messageFor('TIMEOUT') };
  if (status === 413) return { code: 'IMAGE_TOO_LARGE', message: messageFor('IMAGE_TOO_LARGE') };
  return { code: 'NETWORK', message: messageFor('NETWORK'), ...(error.networkError ? { detail: error.networkError.message } : {}) };
}

/** A `getUserMedia` failure, said plainly. */
export function describeCameraError(error: unknown): HumanError {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  const message =
    name === 'NotAllowedError' || name === 'SecurityError'
      ? 'Camera access was blocked. Allow the camera for this site in your browser, then try again.'
      : name === 'NotFoundError' || name === 'OverconstrainedError'
        ? 'No camera was found. Connect one, or choose a photo instead.'
        : name === 'NotReadableError' || name === 'AbortError'
          ? 'The camera is in use by another application, or could not start. Close the other app and try again.'
          : !navigator.mediaDevices?.getUserMedia
            ? 'This browser cannot use the camera here. Camera access needs a secure page (https or localhost).'
            : 'The camera could not be started.';
  const detail = error instanceof Error ? error.message : undefined;
  return { code: 'CAMERA', message, ...(detail ? { detail } : {}) };
}

/** A file the client can refuse before sending: too big for the server's limit. */
export function checkUpload(file: Blob, maxBytes: number | undefined, argument?: string): HumanError | null {
  if (maxBytes !== undefined && file.size > maxBytes) {
    const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
    return {
      code: 'IMAGE_TOO_LARGE',
      message: `${messageFor('IMAGE_TOO_LARGE', argument)} This server accepts up to ${mb(maxBytes)}; the file is ${mb(file.size)}.`,
      ...(argument ? { argument } : {}),
    };
  }
  return null;
}
