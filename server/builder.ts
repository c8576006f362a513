/**
 * The Pothos schema builder: context type, scalars and nothing else. Types and fields live in
 * `schema/<domain>.ts`; `schema/index.ts` assembles them.
 */
import SchemaBuilder from '@pothos/core';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Config } from './config.js';
import { apiError } from './errors.js';
import type { GalleryService } from './gallery/service.js';
import type { InferenceService } from './inference/service.js';
import type { LiveSessionManager } from './live/sessions.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** An uploaded file as graphql-yoga hands it over (the multipart request spec, WHATWG `File`). */
export interface Upload {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What the schema needs from the server; `makeYoga(deps)` receives it. */
export interface ServerDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  inference: InferenceService;
  live: LiveSessionManager;
  /** Identity gallery: enrolled subjects, 1:1 and 1:N, API keys. */
  gallery: GalleryService;
  /** Package version, reported by `info`. */
  version: string;
  /** `performance.now()`-free wall clock of the start, for uptime. */
  startedAt: number;
  /** Whether the server is ready to take inference requests (all workers loaded, not shutting down). */
  isReady(): boolean;
}

/** What our context factory adds to yoga's (see yoga.ts). */
export interface AppContext {
  deps: ServerDeps;
  requestId: string;
  /** Aborts when the client goes away (HTTP) or the subscription ends; passed on to the worker pool. */
  signal: AbortSignal | undefined;
}

export type Context = YogaInitialContext & AppContext;

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    File: { Input: Upload; Output: never };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
});

function isUpload(value: unknown): value is Upload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Upload).arrayBuffer === 'function' &&
    typeof (value as Upload).size === 'number'
  );
}

builder.scalarType('File', {
  description:
    'An uploaded file, sent as a part of a multipart request (GraphQL multipart request spec). Input only.',
  serialize: () => {
    throw new Error('File is an input-only scalar');
  },
  parseValue: (value) => {
    if (isUpload(value)) return value;
    throw apiError('BAD_REQUEST', 'Expected an uploaded file (send the request as multipart/form-data with a map entry for it)');
  },
  parseLiteral: () => {
    throw apiError('BAD_REQUEST', 'A file cannot be written inline in the query; upload it as a multipart variable');
  },
});
