/** Real servers on an ephemeral port and a real HTTP client (fetch + FormData) for the server suites. */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { createLogger, type Logger } from '../../server/logger.js';
import { lfwImagePath } from '../support/fixtures.js';
import { graphqlForm, type FilePart } from '../../bench/graphql-form.js';

/** Every started server is stopped by `stopAll()` (call it in `afterAll`). */
const running: RunningServer[] = [];

/** A fresh directory for a test server's SQLite gallery. */
export function tempDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'facegate-test-'));
}

/**
 * Starts a server on 127.0.0.1:0 with 2 workers and waits until every worker has loaded its models.
 * Its gallery lives in a fresh temporary directory unless `env` names one (or a database URL).
 * Logs are silent unless FACEGATE_TEST_LOG is set (e.g. `info`).
 */
export async function startTestServer(env: Record<string, string> = {}, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const config = loadConfig({
    FACEGATE_HOST: '127.0.0.1',
    FACEGATE_PORT: '0',
    FACEGATE_WORKERS: '2',
    FACEGATE_CLIENT_DIR: 'none',
    FACEGATE_SHUTDOWN_TIMEOUT_MS: '5000',
    FACEGATE_DATA_DIR: env['FACEGATE_DATA_DIR'] ?? tempDataDir(),
    ...env,
  });
  const logger = options.logger ?? createLogger((process.env.FACEGATE_TEST_LOG as 'info' | undefined) ?? 'silent');
  const server = await startServer(config, { logger });
  running.push(server);
  await server.ready;
  return server;
}

export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.stop('test end')));
}

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; argument?: string; [k: string]: unknown } }[];
  };
  ms: number;
}

async function parse<T>(response: Response, started: number): Promise<GqlResponse<T>> {
  const text = await response.text();
  let body: GqlResponse<T>['body'];
  try {
    body = JSON.parse(text) as GqlResponse<T>['body'];
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 300)}`);
  }
  return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
}

/** A plain JSON GraphQL request. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return parse<T>(response, started);
}

export type UploadFile = FilePart;

/** A GraphQL multipart request; `files` maps a variable name to its file. */
export async function upload<T = Record<string, unknown>>(
  url: string,
  query: string,
  files: Record<string, UploadFile>,
  options: { variables?: Record<string, unknown>; signal?: AbortSignal } = {},
): Promise<GqlResponse<T>> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    body: graphqlForm(query, options.variables ?? {}, files),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return parse<T>(response, started);
}

export function lfw(name: string, index: number): UploadFile {
  return { bytes: readFileSync(lfwImagePath(name, index)), name: `${name}_${index}.jpg` };
}

export const VERIFY = /* GraphQL */ `
  mutation Verify($reference: File!, $probe: File!, $threshold: Float) {
    verify(reference: $reference, probe: $probe, threshold: $threshold) {
      similarity
      distance
      threshold
      match
      model
      reference { faceCount image { width height format } face { score box { x y width height } landmarks { leftEye { x y } rightEye { x y } nose { x y } mouthLeft { x y } mouthRight { x y } } } timings { decodeMs queueMs detectMs alignMs embedMs totalMs } }
      probe { faceCount image { width height format } face { score box { x y width height } landmarks { leftEye { x y } rightEye { x y } nose { x y } mouthLeft { x y } mouthRight { x y } } } timings { totalMs } }
      timings { compareMs totalMs }
    }
  }
`;

export const DETECT = /* GraphQL */ `
  mutation Detect($image: File!) {
    detect(image: $image) {
      image { width height format }
      faceCount
      detector
      faces { score box { x y width height } landmarks { leftEye { x y } rightEye { x y } nose { x y } mouthLeft { x y } mouthRight { x y } } }
      timings { decodeMs queueMs detectMs alignMs embedMs totalMs }
    }
  }
`;

export const EMBED = /* GraphQL */ `
  mutation Embed($image: File!) {
    embed(image: $image) { vector dimensions model faceCount face { score } image { width height } timings { totalMs } }
  }
`;

/** A genuine and an impostor LFW pair (people with several photos, frontal, one face each). */
export const GENUINE: [[string, number], [string, number]] = [
  ['Aaron_Peirsol', 1],
  ['Aaron_Peirsol', 2],
];
export const IMPOSTOR: [[string, number], [string, number]] = [
  ['Aaron_Peirsol', 1],
  ['Abel_Pacheco', 1],
];

export function errorCodes<T>(response: GqlResponse<T>): (string | undefined)[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.code);
}
