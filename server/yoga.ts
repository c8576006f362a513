/**
 * The GraphQL server instance, apart from any listener: `makeYoga(deps)` returns a yoga instance that
 * tests can call in-process (`yoga.fetch`) and main.ts mounts on HTTP and WebSocket.
 *
 * Plugins, in the order a request meets them:
 * - ops endpoints `/healthz`, `/readyz`, `/metrics` (answered before any GraphQL work);
 * - graphql-armor (depth, aliases, tokens, cost, directives, no field suggestions);
 * - one inference field per operation, and no upload in an undeclared variable;
 * - metrics by root field and outcome;
 * - the error envelope: every error leaves with one of our codes; unexpected ones are masked and logged.
 */
import type { DocumentNode, ExecutionResult, SelectionSetNode } from 'graphql';
import { getOperationAST, GraphQLError, Kind, print } from './graphql.js';
import { createYoga, useExecutionCancellation, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createFetch } from '@whatwg-node/fetch';
import type { AppContext, Context, ServerDeps } from './builder.js';
import { API_ERROR_CODES, apiError, INTERNAL_MESSAGE, isApiErrorCode, type ApiErrorCode } from './errors.js';
import { useInferenceAuth } from './gallery/principal.js';
import { currentRequestId, requestIdFrom } from './logger.js';
import { renderLocalGraphiQL, useGraphiQLAssets } from './graphiql.js';
import { useIntrospectionPolicy } from './introspection.js';
import { useStrictMultipart } from './multipart.js';
import { INFERENCE_FIELDS, toSchema } from './schema/index.js';
import { useReplicaCookie } from './replica.js';
import { useSecurityHeaders } from './security-headers.js';

export type FacegateYoga = YogaServerInstance<Record<string, never>, AppContext>;

export const GRAPHQL_PATH = '/graphql';

// ------------------------------------------------------------------------------------------------
// Error envelope

/** A GraphQL error that wraps, at the end of its `originalError` chain, another GraphQL error (ours). */
function isOriginalGraphQLError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null ? true : isOriginalGraphQLError(error.originalError);
}

/** Which of our codes an error that did not come from our resolvers stands for. */
function codeFor(error: GraphQLError): ApiErrorCode {
  const code = error.extensions?.['code'];
  if (isApiErrorCode(code)) return code;
  if (error.extensions?.['unexpected'] === true || code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL';
  if (code === 'REQUEST_ENTITY_TOO_LARGE') return 'IMAGE_TOO_LARGE';
  // Parse and validation errors (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED), armor's rejections,
  // variable coercion (a missing file), malformed multipart: all the client's to fix.
  return 'BAD_REQUEST';
}

const COERCION = /^Variable "(\$[_A-Za-z][_0-9A-Za-z]*)" got invalid value /;

/**
 * graphql-js prints the offending value into variable-coercion messages (`Variable "$i" got invalid
 * value { blobParts: [...], ... }`): for an upload, the File object's internals. Those messages are
 * rewritten from the variable's declaration, keeping only a reason that prints no value.
 */
function withoutPrintedValues(error: GraphQLError): string {
  const match = COERCION.exec(error.message);
  if (!match) return error.message;
  const definition = error.nodes?.find((n) => n.kind === Kind.VARIABLE_DEFINITION);
  const type = definition ? ` of type "${print(definition.type)}"` : '';
  const reason = error.message.slice(error.message.lastIndexOf('; ') + 2);
  const safeReason = /^[^{}[\]<>]{1,160}$/.test(reason) && !reason.includes('got invalid value') ? `: ${reason}` : '';
  return `Variable "${match[1]}"${type} got an invalid value${safeReason}`;
}

/**
 * Rewrites one error of a result into our envelope: `extensions.code` from API_ERROR_CODES, `http`
 * kept for yoga's status (it never reaches the client), nothing else from the original extensions but
 * `argument`; `INTERNAL` always with the fixed message.
 */
export function normalizeError(error: GraphQLError): GraphQLError {
  const code = codeFor(error);
  const previous = error.extensions ?? {};
  const clean = previous['code'] === code && code !== 'INTERNAL' && !('unexpected' in previous) && !('originalError' in previous);
  if (clean && !COERCION.test(error.message)) return error;
  const extensions: Record<string, unknown> = { code };
  if (typeof previous['argument'] === 'string') extensions['argument'] = previous['argument'];
  if (code === 'SESSION_ON_OTHER_REPLICA' && typeof previous['replica'] === 'string') extensions['replica'] = previous['replica'];
  if (previous['http'] !== undefined) extensions['http'] = previous['http'];
  else if (code === 'IMAGE_TOO_LARGE' && previous['code'] === 'REQUEST_ENTITY_TOO_LARGE') extensions['http'] = { status: 413 };
  else if (code === 'BAD_REQUEST') extensions['http'] = { status: 400 };
  const message =
    code === 'INTERNAL'
      ? INTERNAL_MESSAGE
      : code === 'IMAGE_TOO_LARGE' && previous['code'] === 'REQUEST_ENTITY_TOO_LARGE'
        ? `Upload too large: ${error.message}`
        : withoutPrintedValues(error);
  return new GraphQLError(message, {
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions,
  });
}

function normalizeResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors || result.errors.length === 0) return result;
  return { ...result, errors: result.errors.map((e) => normalizeError(e instanceof GraphQLError ? e : new GraphQLError(String((e as { message?: unknown }).message)))) };
}

function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(Symbol.asyncIterator in value);
}

// ------------------------------------------------------------------------------------------------
// Operation inspection

interface RootField {
  name: string;
  responseKey: string;
}

/** Root fields of the operation (through inline fragments and fragment spreads). */
export function rootFields(document: DocumentNode, operationName?: string | null): RootField[] {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return [];
  const fragments = new Map(
    document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d.selectionSet]),
  );
  const out: RootField[] = [];
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        out.push({ name: selection.name.value, responseKey: selection.alias?.value ?? selection.name.value });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) {
          seen.add(name);
          walk(fragment);
        }
      }
    }
  };
  walk(operation.selectionSet);
  return out;
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && value !== null && 'aborted' in value && typeof (value as AbortSignal).addEventListener === 'function';
}

function containsUpload(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 8) return false;
  if (typeof (value as { arrayBuffer?: unknown }).arrayBuffer === 'function') return true;
  return Object.values(value).some((v) => containsUpload(v, depth + 1));
}

/** One inference field per operation; every uploaded file goes to a declared variable. */
function useRequestShape(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      if (!operation) return;
      const inference = rootFields(args.document, args.operationName).filter((f) => INFERENCE_FIELDS.has(f.name));
      if (inference.length > 1) {
        setResultAndStopExecution({
          errors: [apiError('BAD_REQUEST', `One inference field (detect, embed or verify) per request; this one has ${inference.length}`)],
        });
        return;
      }
      const declared = new Set((operation.variableDefinitions ?? []).map((v) => v.variable.name.value));
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      const stray = Object.keys(variables).filter((name) => !declared.has(name) && containsUpload(variables[name]));
      if (stray.length > 0) {
        setResultAndStopExecution({
          errors: [apiError('BAD_REQUEST', `Unexpected file for undeclared variable ${stray.map((s) => `$${s}`).join(', ')}`)],
        });
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Metrics and logs

function useObservability(deps: ServerDeps): Plugin<Context> {
  /** Root fields of each executed request, for its log line (and to tell requests that never ran). */
  const executed = new WeakMap<object, string>();
  const started = new WeakMap<Request, number>();
  const log = deps.logger.child({ module: 'http' });
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onExecute({ args }) {
      const request = args.contextValue.request as object | undefined;
      const fields = rootFields(args.document, args.operationName);
      if (request) executed.set(request, fields.map((f) => f.name).join(','));
      const begin = performance.now();
      return {
        onExecuteDone({ result }) {
          if (!isExecutionResult(result)) return;
          const seconds = (performance.now() - begin) / 1000;
          for (const field of fields) {
            const error = result.errors?.find((e) => e.path?.[0] === field.responseKey);
            const outcome = error ? codeFor(error) : 'ok';
            deps.metrics.requests.inc({ operation: field.name, outcome });
            deps.metrics.requestDuration.observe({ operation: field.name }, seconds);
          }
          if (result.errors?.length && fields.length === 0) deps.metrics.requests.inc({ operation: 'none', outcome: 'BAD_REQUEST' });
        },
      };
    },
    onResultProcess({ request, result }) {
      // Requests that failed before execution (parse, validation, multipart, limits).
      if (executed.has(request) || !isExecutionResult(result) || !result.errors?.length) return;
      const first = result.errors[0];
      const outcome = first instanceof GraphQLError ? codeFor(first) : 'BAD_REQUEST';
      deps.metrics.requests.inc({ operation: 'none', outcome });
    },
    onResponse({ request, response }) {
      const begin = started.get(request);
      const url = new URL(request.url, 'http://localhost');
      if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/metrics') return;
      log.info(
        {
          method: request.method,
          path: url.pathname,
          operation: executed.get(request),
          status: response.status,
          ms: begin === undefined ? undefined : Math.round((performance.now() - begin) * 10) / 10,
        },
        'request',
      );
    },
  };
}

/** The error envelope, applied to every single result (HTTP; WebSocket results go through `normalizeError`). */
function useErrorEnvelope(): Plugin<Context> {
  return {
    onResultProcess({ result, setResult }) {
      if (isExecutionResult(result)) setResult(normalizeResult(result));
      else if (Array.isArray(result)) setResult(result.map((r) => (isExecutionResult(r) ? normalizeResult(r) : r)));
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Ops endpoints

function useOpsEndpoints(deps: ServerDeps): Plugin<Context> {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const json = (status: number, body: unknown): Response =>
        new fetchAPI.Response(JSON.stringify(body), {
          status,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        });
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      switch (url.pathname) {
        case '/healthz':
          endResponse(json(200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000) }));
          return;
        case '/readyz': {
          const ready = deps.isReady();
          const pool = deps.inference.pool.stats();
          endResponse(
            json(ready ? 200 : 503, {
              status: ready ? 'ready' : 'not ready',
              workers: { size: pool.size, ready: pool.idle + pool.busy, starting: pool.starting },
            }),
          );
          return;
        }
        case '/metrics':
          return deps.metrics.registry.metrics().then((text) => {
            endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': deps.metrics.registry.contentType } }));
          });
        default:
          return;
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------

export function makeYoga(deps: ServerDeps): FacegateYoga {
  const { config, logger } = deps;
  const limits = config.limits;
  const yogaLog = logger.child({ module: 'yoga' });
  const cors = config.http.cors;
  return createYoga<Record<string, never>, AppContext>({
    schema: toSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    // Never the landing page; GraphiQL only when configured.
    landingPage: false,
    graphiql: config.http.graphiql ? { title: 'facegate', defaultQuery: 'query {\n  info { version backend model { name } defaultThreshold workers }\n}\n' } : false,
    renderGraphiQL: renderLocalGraphiQL,
    // yoga answers this path with an empty 200 before any plugin; keep it out of the way of /healthz.
    healthCheckEndpoint: '/_yoga/health',
    batching: false,
    cors: cors === false ? false : { origin: cors === '*' ? '*' : cors, methods: ['GET', 'POST', 'OPTIONS'] },
    maxRequestBodySize: config.http.maxBodyBytes,
    fetchAPI: createFetch({
      formDataLimits: {
        fileSize: limits.maxUploadBytes,
        files: limits.maxFiles,
        fieldSize: 1024 * 1024,
        fields: 8,
        parts: limits.maxFiles + 8,
      },
    }),
    maskedErrors: {
      errorMessage: INTERNAL_MESSAGE,
      isDev: false,
      maskError: (error) => {
        if (isOriginalGraphQLError(error)) return error as Error;
        const located = error instanceof GraphQLError ? error : undefined;
        return new GraphQLError(INTERNAL_MESSAGE, {
          ...(located?.nodes ? { nodes: located.nodes } : {}),
          ...(located?.path ? { path: located.path } : {}),
          extensions: { code: 'INTERNAL' satisfies (typeof API_ERROR_CODES)[number] },
        });
      },
    },
    logging: {
      debug: (...args: unknown[]) => yogaLog.debug({ args }, 'yoga'),
      info: (...args: unknown[]) => yogaLog.info({ args }, 'yoga'),
      warn: (...args: unknown[]) => yogaLog.warn({ args }, 'yoga'),
      error: (...args: unknown[]) => {
        const err = args.find((a) => a instanceof Error);
        yogaLog.error(err ? { err } : { args }, err instanceof Error ? err.message : 'yoga error');
      },
    },
    context: (initial): AppContext => {
      // Over HTTP `request` is a WHATWG Request; over WebSocket (server/app.ts) it is the upgrade request.
      const request = (initial as { request?: Partial<Request> }).request;
      const header = typeof request?.headers?.get === 'function' ? request.headers.get('x-request-id') : null;
      return {
        deps,
        requestId: currentRequestId() ?? requestIdFrom(header),
        // whatwg-node's request signal is a lazy stand-in for AbortSignal; AbortSignal.any() turns it into
        // a native one whose 'abort' event surely fires when the client goes away.
        signal: isAbortSignal(request?.signal) ? AbortSignal.any([request.signal]) : undefined,
      };
    },
    plugins: [
      useSecurityHeaders(),
      ...(config.http.graphiql ? [useGraphiQLAssets()] : []),
      useOpsEndpoints(deps),
      useStrictMultipart(),
      useIntrospectionPolicy({ enabled: config.http.introspection, maxDepth: config.http.introspectionMaxDepth }),
      // A client that goes away stops the execution; the resolvers pass the same signal to the pool.
      useExecutionCancellation(),
      EnvelopArmorPlugin({
        // Fragment spreads count by what they contain, not as an extra level each.
        maxDepth: { n: limits.maxDepth, flattenFragments: true },
        maxAliases: { n: limits.maxAliases },
        maxTokens: { n: limits.maxTokens },
        costLimit: { maxCost: limits.maxCost },
        maxDirectives: { n: limits.maxDirectives },
        blockFieldSuggestion: { enabled: true },
      }),
      useRequestShape(),
      useInferenceAuth(config.gallery.inferenceAuth),
      useObservability(deps),
      useErrorEnvelope(),
      useReplicaCookie(config.http.replicaId, config.live.idleTimeoutMs / 1000),
    ],
  });
}
