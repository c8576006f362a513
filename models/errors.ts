/** Error codes of the face library; the API layer maps them one to one onto GraphQL `extensions.code`. */
export type FaceErrorCode =
  | 'BAD_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'IMAGE_TOO_LARGE'
  | 'NO_FACE'
  | 'FACE_INDEX_OUT_OF_RANGE'
  | 'MODEL_LOAD_FAILED'
  | 'BACKEND_UNAVAILABLE';

export class FaceError extends Error {
  override readonly name = 'FaceError';

  constructor(
    readonly code: FaceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isFaceError(value: unknown): value is FaceError {
  return value instanceof FaceError;
}
