/** Configuration parsing and the error envelope: plain functions, no server. */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { FaceError } from '../../models/errors.js';
import { DEFAULT_DECODE_LIMITS, DEFAULT_THRESHOLD } from '../../models/index.js';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../server/config.js';
import { API_ERROR_CODES, apiError, INTERNAL_MESSAGE, ServiceError, tagArgument, toGraphQLError } from '../../server/errors.js';
import { GraphQLError } from '../../server/graphql.js';
import { normalizeError } from '../../server/yoga.js';

describe('config', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 4000, graphiql: true, cors: false });
    expect(config.pool.workers).toBeGreaterThanOrEqual(1);
    expect(config.pool).toMatchObject({ maxQueue: 32, jobTimeoutMs: 30_000, backend: 'auto' });
    // workers x threads = cores by default
    const cores = os.availableParallelism();
    expect(config.pool.threads).toBe(Math.max(1, Math.floor(cores / config.pool.workers)));
    expect(loadConfig({ FACEGATE_WORKERS: '1' }).pool.threads).toBe(cores);
    expect(loadConfig({ FACEGATE_BACKEND: 'onnxruntime' }).pool.backend).toBe('onnxruntime');
    expect(config.limits).toMatchObject({
      maxUploadBytes: DEFAULT_DECODE_LIMITS.maxBytes,
      maxPixels: DEFAULT_DECODE_LIMITS.maxPixels,
      maxFiles: 8,
      maxDepth: 8,
    });
    expect(config.verify.threshold).toBe(DEFAULT_THRESHOLD);
    expect(config.log.level).toBe('info');
  });

  it('reads every variable it documents', () => {
    const env = {
      FACEGATE_HOST: '127.0.0.1',
      FACEGATE_PORT: '0',
      FACEGATE_WORKERS: '3',
      FACEGATE_QUEUE_LIMIT: '5',
      FACEGATE_JOB_TIMEOUT_MS: '1234',
      FACEGATE_WORKER_START_TIMEOUT_MS: '5000',
      FACEGATE_BACKEND: 'wasm',
      FACEGATE_THREADS: '3',
      FACEGATE_THRESHOLD: '0.5',
      FACEGATE_MAX_UPLOAD_BYTES: '2048',
      FACEGATE_MAX_PIXELS: '1000',
      FACEGATE_MAX_FILES: '3',
      FACEGATE_MAX_DEPTH: '4',
      FACEGATE_MAX_ALIASES: '1',
      FACEGATE_MAX_TOKENS: '100',
      FACEGATE_MAX_COST: '50',
      FACEGATE_MAX_DIRECTIVES: '2',
      FACEGATE_CORS_ORIGINS: '*',
      FACEGATE_GRAPHIQL: 'false',
      FACEGATE_INTROSPECTION: 'true',
      FACEGATE_INTROSPECTION_MAX_DEPTH: '12',
      FACEGATE_HEADERS_TIMEOUT_MS: '2000',
      FACEGATE_REQUEST_TIMEOUT_MS: '4000',
      FACEGATE_MAX_CONNECTIONS: '100',
      FACEGATE_MAX_CONNECTIONS_PER_ADDRESS: '0',
      FACEGATE_CLIENT_DIR: 'none',
      FACEGATE_REPLICA_ID: 'replica-2',
      FACEGATE_SHUTDOWN_TIMEOUT_MS: '100',
      FACEGATE_WS_MAX_PAYLOAD_BYTES: '4096',
      FACEGATE_LIVE_MAX_SESSIONS: '4',
      FACEGATE_LIVE_MAX_SESSIONS_PER_CONNECTION: '1',
      FACEGATE_LIVE_IDLE_TIMEOUT_MS: '2000',
      FACEGATE_LIVE_MAX_FRAME_BYTES: '65536',
      FACEGATE_LIVE_MAX_FPS: '10',
      FACEGATE_LIVE_MIN_FACE: '60',
      FACEGATE_CHALLENGE_MAX_FAILURES: '5',
      FACEGATE_CHALLENGE_COOLDOWN_MS: '60000',
      FACEGATE_LOG_LEVEL: 'warn',
      FACEGATE_DATA_DIR: '/tmp/facegate-config-test',
      FACEGATE_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      FACEGATE_ADMIN_KEY: 'an-admin-key-of-enough-length',
      FACEGATE_GALLERY_AUTH: 'off',
      FACEGATE_INFERENCE_AUTH: 'key',
      FACEGATE_ENROLL_MAX_IMAGES: '4',
      FACEGATE_IDENTIFY_MAX_TOP_K: '7',
      FACEGATE_ANN_MIN_TEMPLATES: '1000',
    };
    expect(Object.keys(env).sort()).toEqual(CONFIG_VARIABLES.map((v) => v.name).sort());
    const config = loadConfig(env);
    expect(config).toMatchObject({
      http: {
        host: '127.0.0.1',
        port: 0,
        graphiql: false,
        introspection: true,
        introspectionMaxDepth: 12,
        headersTimeoutMs: 2000,
        requestTimeoutMs: 4000,
        maxConnections: 100,
        maxConnectionsPerAddress: 0,
        cors: '*',
        clientDir: null,
        shutdownTimeoutMs: 100,
        replicaId: 'replica-2',
      },
      pool: { workers: 3, maxQueue: 5, jobTimeoutMs: 1234, startTimeoutMs: 5000, backend: 'wasm', threads: 3 },
      limits: { maxUploadBytes: 2048, maxPixels: 1000, maxFiles: 3, maxDepth: 4, maxAliases: 1, maxTokens: 100, maxCost: 50, maxDirectives: 2 },
      verify: { threshold: 0.5 },
      ws: { maxPayloadBytes: 4096 },
      live: { maxSessions: 4, maxSessionsPerConnection: 1, idleTimeoutMs: 2000, maxFrameBytes: 65536, maxFps: 10, minFaceSize: 60, challengeMaxFailures: 5, challengeCooldownMs: 60000 },
      log: { level: 'warn' },
      gallery: {
        dataDir: '/tmp/facegate-config-test',
        databaseUrl: 'postgres://u:p@127.0.0.1:5432/db',
        adminKey: 'an-admin-key-of-enough-length',
        auth: 'off',
        inferenceAuth: true,
        maxEnrollImages: 4,
        maxTopK: 7,
        annMinTemplates: 1000,
      },
    });
  });

  it('falls back to PORT, and parses a CORS origin list', () => {
    expect(loadConfig({ PORT: '8080' }).http.port).toBe(8080);
    expect(loadConfig({ PORT: '8080', FACEGATE_PORT: '9090' }).http.port).toBe(9090);
    expect(loadConfig({ FACEGATE_CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).http.cors).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
  });

  it('reports every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        FACEGATE_PORT: 'http',
        FACEGATE_WORKERS: '0',
        FACEGATE_THRESHOLD: '1.5',
        FACEGATE_BACKEND: 'gpu',
        FACEGATE_GRAPHIQL: 'maybe',
        FACEGATE_CORS_ORIGINS: 'not a url',
        FACEGATE_REPLICA_ID: 'a.b:c',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['FACEGATE_PORT', 'FACEGATE_WORKERS', 'FACEGATE_THRESHOLD', 'FACEGATE_BACKEND', 'FACEGATE_GRAPHIQL', 'FACEGATE_CORS_ORIGINS', 'FACEGATE_REPLICA_ID']) {
      expect(problems).toContain(name);
    }
  });
});

describe('error envelope', () => {
  it('keeps the face library codes and messages, with the argument they concern', () => {
    const error = toGraphQLError(tagArgument(new FaceError('NO_FACE', 'no face was found in the image'), 'probe')) as GraphQLError;
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.message).toBe('no face was found in the image');
    expect(error.extensions).toEqual({ code: 'NO_FACE', argument: 'probe' });
  });

  it('gives OVERLOADED 503 with Retry-After, and TIMEOUT 504', () => {
    const overloaded = toGraphQLError(new ServiceError('OVERLOADED', 'busy')) as GraphQLError;
    expect(overloaded.extensions).toMatchObject({ code: 'OVERLOADED', http: { status: 503, headers: { 'Retry-After': '1' } } });
    expect((toGraphQLError(new ServiceError('TIMEOUT', 'slow')) as GraphQLError).extensions).toMatchObject({ code: 'TIMEOUT', http: { status: 504 } });
  });

  it('leaves unexpected errors (and model-load failures) to masking', () => {
    const bug = new TypeError('x is undefined');
    expect(toGraphQLError(bug)).toBe(bug);
    const load = new FaceError('MODEL_LOAD_FAILED', 'weights differ');
    expect(toGraphQLError(load)).toBe(load);
    const internal = new ServiceError('INTERNAL', 'worker 1 exited');
    expect(toGraphQLError(internal)).toBe(internal);
    expect(apiError('INTERNAL', 'secret detail').message).toBe(INTERNAL_MESSAGE);
  });

  it('maps every error that reaches the client onto one of our codes', () => {
    const cases: [GraphQLError, string][] = [
      [new GraphQLError('Syntax Error: Expected Name', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }), 'BAD_REQUEST'],
      [new GraphQLError('Query depth limit of 8 exceeded, found 10.', { extensions: { code: 'BAD_USER_INPUT' } }), 'BAD_REQUEST'],
      [new GraphQLError('Variable "$image" of required type "File!" was not provided.'), 'BAD_REQUEST'],
      [new GraphQLError('File size limit exceeded: 10 bytes', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } }), 'IMAGE_TOO_LARGE'],
      [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true } }), 'INTERNAL'],
      [new GraphQLError('busy', { extensions: { code: 'OVERLOADED' } }), 'OVERLOADED'],
    ];
    for (const [error, code] of cases) {
      const normalized = normalizeError(error);
      expect(normalized.extensions['code'], error.message).toBe(code);
      expect(API_ERROR_CODES).toContain(normalized.extensions['code']);
      if (code === 'INTERNAL') expect(normalized.message).toBe(INTERNAL_MESSAGE);
    }
  });

  it('never forwards originalError or other internals in extensions', () => {
    const leaky = new GraphQLError('Unexpected error.', {
      extensions: { code: 'INTERNAL_SERVER_ERROR', originalError: { message: 'db down', stack: 'at x.ts:1' } },
    });
    expect(normalizeError(leaky).extensions).toEqual({ code: 'INTERNAL' });
  });
});
