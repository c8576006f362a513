/**
 * The API's error envelope. Every error a client sees is a `GraphQLError` whose `extensions.code` is one
 * of `API_ERROR_CODES`; messages of expected failures are written for the client, unexpected failures
 * are masked (`INTERNAL`, a fixed message) and logged, and a stack trace never leaves the process.
 *
 * The face library throws `FaceError` (models/errors.ts); the pool and the resolvers throw `ServiceError`;
 * only this module turns them into GraphQL errors.
 */
import { GraphQLError } from './graphql.js';
import { isFaceError, type FaceErrorCode } from '../models/errors.js';

export const API_ERROR_CODES = [
  'BAD_IMAGE',
  'UNSUPPORTED_FORMAT',
  'IMAGE_TOO_LARGE',
  'NO_FACE',
  'FACE_INDEX_OUT_OF_RANGE',
  'BAD_REQUEST',
  'SESSION_NOT_FOUND',
  'SESSION_ON_OTHER_REPLICA',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'LIMIT_EXCEEDED',
  'OVERLOADED',
  'DATABASE_UNAVAILABLE',
  'TIMEOUT',
  /** Live challenge: too many challenges not completed from this source; retry after the cooldown. */
  'TOO_MANY_ATTEMPTS',
  'INTERNAL',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

const API_CODE_SET: ReadonlySet<string> = new Set(API_ERROR_CODES);

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && API_CODE_SET.has(value);
}

/** The fixed message of every masked (unexpected) error. */
export const INTERNAL_MESSAGE = 'Internal server error';

/** An expected failure raised by the server itself (pool, limits, argument checks). */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';

  /** Extra `extensions` for the client (e.g. `replica` of SESSION_ON_OTHER_REPLICA); never internal details. */
  readonly extensions: Record<string, unknown>;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options?: { cause?: unknown; extensions?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.extensions = options?.extensions ?? {};
  }
}

export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof ServiceError;
}

/** HTTP status a code implies when it is the request's outcome (absent: the GraphQL default, 200). */
const HTTP_STATUS: Partial<Record<ApiErrorCode, number>> = {
  BAD_REQUEST: 400,
  OVERLOADED: 503,
  DATABASE_UNAVAILABLE: 503,
  TIMEOUT: 504,
  TOO_MANY_ATTEMPTS: 429,
};

/** Codes a client should simply retry after a moment: their 503 carries `Retry-After`. */
const RETRY_AFTER_SECONDS: Partial<Record<ApiErrorCode, string>> = { OVERLOADED: '1', DATABASE_UNAVAILABLE: '1' };

function faceCodeToApi(code: FaceErrorCode): ApiErrorCode {
  switch (code) {
    case 'BAD_IMAGE':
    case 'UNSUPPORTED_FORMAT':
    case 'IMAGE_TOO_LARGE':
    case 'NO_FACE':
    case 'FACE_INDEX_OUT_OF_RANGE':
      return code;
    case 'MODEL_LOAD_FAILED':
    case 'BACKEND_UNAVAILABLE':
      return 'INTERNAL';
  }
}

/** Builds a client-facing error with its code (and the HTTP status / Retry-After the code implies). */
export function apiError(code: ApiErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  if (code === 'INTERNAL') message = INTERNAL_MESSAGE;
  const status = HTTP_STATUS[code];
  const http =
    status === undefined ? undefined : { status, ...(RETRY_AFTER_SECONDS[code] ? { headers: { 'Retry-After': RETRY_AFTER_SECONDS[code] } } : {}) };
  return new GraphQLError(message, { extensions: { ...extensions, code, ...(http ? { http } : {}) } });
}

/**
 * The code an error stands for, or `undefined` when it is unexpected (a bug, a crash) and must be masked.
 * A `FaceError` keeps its code; a worker-side `FaceError` arrives as a `ServiceError`-like object with
 * `name` and `code`, see pool.ts.
 */
export function errorCode(error: unknown): ApiErrorCode | undefined {
  if (isFaceError(error)) {
    const code = faceCodeToApi(error.code);
    return code === 'INTERNAL' ? undefined : code;
  }
  if (isServiceError(error)) return error.code === 'INTERNAL' ? undefined : error.code;
  if (error instanceof GraphQLError && isApiErrorCode(error.extensions['code'])) return error.extensions['code'];
  return undefined;
}

/**
 * Turns an error thrown while resolving into what the client may see. Known failures become a
 * `GraphQLError` with their code; anything else is returned unchanged, so that yoga's masking logs it
 * and replaces it with `INTERNAL` (see `maskError` in yoga.ts).
 */
export function toGraphQLError(error: unknown, extensions: Record<string, unknown> = {}): unknown {
  if (error instanceof GraphQLError) return error;
  const code = errorCode(error);
  if (code === undefined || !(error instanceof Error)) return error;
  const argument = argumentOf(error);
  const own = isServiceError(error) ? error.extensions : {};
  return apiError(code, error.message, { ...own, ...(argument === undefined ? {} : { argument }), ...extensions });
}

const ARGUMENT = Symbol('facegate.argument');

/** Marks which argument (upload) an error is about, e.g. `probe`; it reaches `extensions.argument`. */
export function tagArgument<E>(error: E, argument: string): E {
  if (typeof error === 'object' && error !== null && !(ARGUMENT in error)) {
    Object.defineProperty(error, ARGUMENT, { value: argument, enumerable: false });
  }
  return error;
}

export function argumentOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as { [ARGUMENT]?: unknown })[ARGUMENT];
  return typeof value === 'string' ? value : undefined;
}
