/**
 * Server configuration: `process.env` is parsed once into a typed, validated, nested object. Every bad
 * variable is reported at once (`ConfigError`), so a deployment fails at boot with the full list instead
 * of one variable per restart. `CONFIG_VARIABLES` documents each variable; the README table follows it.
 *
 * Tests build their own config with `loadConfig({ ...env })` and never touch `process.env`;
 * `getConfig()` memoises the process-wide one and `resetConfig()` forgets it.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DECODE_LIMITS, DEFAULT_THRESHOLD } from '../models/index.js';
import { GALLERY_VARIABLES, readGalleryConfig, type GalleryConfig } from './gallery/config.js';

export type Backend = 'auto' | 'tensorflow' | 'onnxruntime' | 'wasm' | 'cpu';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  http: {
    /** Interface to listen on. */
    host: string;
    /** TCP port; 0 picks a free one (tests). */
    port: number;
    /** Serve GraphiQL on GET /graphql from a browser (its assets from our own bundle). */
    graphiql: boolean;
    /** Answer schema introspection (`__schema`, `__type`); GraphiQL needs it. */
    introspection: boolean;
    /** Selection depth an introspection query may reach (the general depth limit is too small for it). */
    introspectionMaxDepth: number;
    /** CORS: `false` = no CORS headers (same origin only), `'*'` = any origin, or a list of origins. */
    cors: false | '*' | string[];
    /** Largest request body accepted, in bytes (uploads plus the operation). */
    maxBodyBytes: number;
    /** A client must send its request line and headers within this (408 past it). */
    headersTimeoutMs: number;
    /** A client must send its whole request, body included, within this (408 past it). */
    requestTimeoutMs: number;
    /** Open TCP connections (HTTP and WebSocket) in total; past it new ones are refused. */
    maxConnections: number;
    /** Open TCP connections from one client address; 0 = no per-address cap (behind a proxy). */
    maxConnectionsPerAddress: number;
    /** How long graceful shutdown waits for in-flight requests and jobs before closing them. */
    shutdownTimeoutMs: number;
    /** Directory of the built web client (served at `/` when it holds an index.html), or null. */
    clientDir: string | null;
    /**
     * This replica's name behind a load balancer: every response carries it (`X-Facegate-Replica`), live
     * session ids start with it, and the proxy routes a session's requests by it (deploy/nginx).
     */
    replicaId: string;
  };
  pool: {
    /** Inference worker threads; each loads its own backend and models. */
    workers: number;
    /** Jobs that may wait for a worker; beyond that, requests fail fast with OVERLOADED. */
    maxQueue: number;
    /** Deadline of one job, from submission to result (TIMEOUT past it). */
    jobTimeoutMs: number;
    /** Deadline for a worker to load its models. */
    startTimeoutMs: number;
    /** Backend the workers ask for (TF.js or ONNX Runtime). */
    backend: Backend;
    /** Threads one worker's inference may use (ONNX Runtime's intra-op pool); workers x threads = cores by default. */
    threads: number;
  };
  limits: {
    /** Largest upload per file, bytes. */
    maxUploadBytes: number;
    /** Largest image, in pixels (checked before a full decode). */
    maxPixels: number;
    /** Files per request (multipart). */
    maxFiles: number;
    /** GraphQL selection depth. */
    maxDepth: number;
    /** GraphQL aliases per operation. */
    maxAliases: number;
    /** GraphQL tokens per document. */
    maxTokens: number;
    /** GraphQL cost (graphql-armor cost model). */
    maxCost: number;
    /** GraphQL directives per operation. */
    maxDirectives: number;
  };
  verify: {
    /** Default cosine-similarity threshold of `verify` (a request may pass its own). */
    threshold: number;
  };
  ws: {
    /** Largest WebSocket message, bytes. */
    maxPayloadBytes: number;
    /** graphql-ws keep-alive ping interval. */
    keepAliveMs: number;
    /** How long a socket may stay open without `connection_init`. */
    connectionInitWaitTimeoutMs: number;
  };
  live: {
    /** Live sessions per server. */
    maxSessions: number;
    /** Live sessions per WebSocket connection. */
    maxSessionsPerConnection: number;
    /** A session without frames for this long ends. */
    idleTimeoutMs: number;
    /** Largest frame (decoded bytes of the base64 image). */
    maxFrameBytes: number;
    /** Frames accepted per second per session. */
    maxFps: number;
    /** Smallest face the detector looks for in live frames, pixels (webcam faces are large: this buys speed). */
    minFaceSize: number;
    /** Movement challenge: failures from one client address within the window that start a cooldown (0: never). */
    challengeMaxFailures: number;
    challengeCooldownMs: number;
  };
  log: {
    level: LogLevel;
  };
  /** Identity gallery: storage, keys, limits (server/gallery/config.ts). */
  gallery: GalleryConfig;
}

/** One documented environment variable. `defaultText` is what the README shows. */
export interface VariableSpec {
  name: string;
  defaultText: string;
  description: string;
}

const availableCores = (): number => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);

/** The package root: `server/..` in source, `dist/server/../..` once built. */
export const packageRoot = ((): string => {
  const up = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return path.basename(up) === 'dist' ? path.dirname(up) : up;
})();

export const CONFIG_VARIABLES: readonly VariableSpec[] = [
  { name: 'FACEGATE_HOST', defaultText: '`0.0.0.0`', description: 'Interface to listen on.' },
  { name: 'FACEGATE_PORT', defaultText: '`4000` (or `PORT`)', description: 'HTTP and WebSocket port (one port for both); `0` picks a free port.' },
  { name: 'FACEGATE_WORKERS', defaultText: 'one per core (1 with `FACEGATE_BACKEND=tensorflow`)', description: 'Inference worker threads; each loads its backend and models once (~150 MB each). Inside a container with a CPU quota, set it to the quota.' },
  { name: 'FACEGATE_QUEUE_LIMIT', defaultText: '`32`', description: 'Jobs that may wait for a worker (a `verify` is two jobs). When full, requests fail at once with `OVERLOADED` (HTTP 503, `Retry-After: 1`).' },
  { name: 'FACEGATE_JOB_TIMEOUT_MS', defaultText: '`30000`', description: 'Deadline per inference job, queueing included; past it the request fails with `TIMEOUT` and a worker still running it stops the job before its next network run.' },
  { name: 'FACEGATE_WORKER_START_TIMEOUT_MS', defaultText: '`120000`', description: 'Deadline for a worker to load its backend and models.' },
  { name: 'FACEGATE_BACKEND', defaultText: '`auto`', description: 'Inference backend of the workers: `auto` (TF.js native when tfjs-node-gpu or tfjs-node is installed and loads, else `onnxruntime`, else `wasm`), `tensorflow`, `onnxruntime`, `wasm`, or `cpu` (pure-JS TF.js, 10-30x slower; only when asked for).' },
  { name: 'FACEGATE_THREADS', defaultText: 'cores / workers (at least 1)', description: 'Threads one worker may use for one inference (ONNX Runtime\'s intra-op threads; TF.js WASM uses one), so that workers x threads = cores.' },
  { name: 'FACEGATE_THRESHOLD', defaultText: "the library's `DEFAULT_THRESHOLD`", description: 'Default cosine-similarity threshold of `verify`, in [-1, 1].' },
  { name: 'FACEGATE_MAX_UPLOAD_BYTES', defaultText: '`15728640` (15 MiB)', description: 'Largest uploaded file.' },
  { name: 'FACEGATE_MAX_PIXELS', defaultText: '`40000000`', description: 'Largest image in pixels, checked from the header before decoding.' },
  { name: 'FACEGATE_MAX_FILES', defaultText: '`8`', description: 'Most files in one multipart request (`enrollFaces` takes several).' },
  { name: 'FACEGATE_MAX_DEPTH', defaultText: '`8`', description: 'GraphQL query depth limit (graphql-armor).' },
  { name: 'FACEGATE_MAX_ALIASES', defaultText: '`5`', description: 'GraphQL aliases per operation (graphql-armor).' },
  { name: 'FACEGATE_MAX_TOKENS', defaultText: '`1000`', description: 'GraphQL tokens per document (graphql-armor).' },
  { name: 'FACEGATE_MAX_COST', defaultText: '`5000`', description: 'GraphQL query cost limit (graphql-armor).' },
  { name: 'FACEGATE_MAX_DIRECTIVES', defaultText: '`10`', description: 'GraphQL directives per operation (graphql-armor).' },
  { name: 'FACEGATE_CORS_ORIGINS', defaultText: 'empty (no CORS)', description: 'Comma-separated allowed origins, or `*`. Empty: no CORS headers; the bundled client is same-origin and needs none.' },
  { name: 'FACEGATE_GRAPHIQL', defaultText: '`true` (`false` when `NODE_ENV=production`)', description: 'Serve GraphiQL at `/graphql` to browsers; its scripts come from the server itself (no CDN), under a strict Content-Security-Policy.' },
  { name: 'FACEGATE_INTROSPECTION', defaultText: 'as `FACEGATE_GRAPHIQL`', description: 'Answer schema introspection (`__schema`, `__type`). GraphiQL needs it; clients built with codegen do not (they use the committed schema.graphql).' },
  { name: 'FACEGATE_INTROSPECTION_MAX_DEPTH', defaultText: '`15`', description: "Depth an introspection query may reach (the standard introspection query, which GraphiQL sends, needs 15); deeper ones fail with `BAD_REQUEST`." },
  { name: 'FACEGATE_HEADERS_TIMEOUT_MS', defaultText: '`10000`', description: 'A client has this long to send its request line and headers, from the connection or the end of its previous request; past it: 408 and the socket is closed (checked every second).' },
  { name: 'FACEGATE_REQUEST_TIMEOUT_MS', defaultText: '`60000`', description: 'A client has this long to send its whole request, body included; past it: 408 and the socket is closed (checked every second). The response may take longer (the job deadline applies).' },
  { name: 'FACEGATE_MAX_CONNECTIONS', defaultText: '`1024`', description: 'Open TCP connections (HTTP keep-alive and WebSocket) in total; a connection over the cap gets a 503 and is closed.' },
  { name: 'FACEGATE_MAX_CONNECTIONS_PER_ADDRESS', defaultText: '`64`', description: 'Open TCP connections from one client IP address; `0` turns the cap off (set it behind a reverse proxy, where every connection comes from the proxy).' },
  { name: 'FACEGATE_REPLICA_ID', defaultText: 'the host name (letters, digits, `-`, `_`; at most 63)', description: 'This replica\'s name behind a load balancer: sent as `X-Facegate-Replica` on every response and as the `facegate_replica` cookie when a live session is opened over HTTP; live session ids start with it. Give each replica its own (see "Deployment behind a load balancer").' },
  { name: 'FACEGATE_CLIENT_DIR', defaultText: '`dist/client`', description: 'Built web client served at `/` when it contains `index.html`; `none` disables it.' },
  { name: 'FACEGATE_SHUTDOWN_TIMEOUT_MS', defaultText: '`10000`', description: 'On SIGTERM/SIGINT: how long to drain in-flight requests and jobs before closing them.' },
  { name: 'FACEGATE_WS_MAX_PAYLOAD_BYTES', defaultText: '`4194304`', description: 'Largest WebSocket message.' },
  { name: 'FACEGATE_LIVE_MAX_SESSIONS', defaultText: '`8`', description: 'Live verification sessions per server; past it `startLiveSession` fails with `OVERLOADED`.' },
  { name: 'FACEGATE_LIVE_MAX_SESSIONS_PER_CONNECTION', defaultText: '`2`', description: 'Live sessions one WebSocket connection may hold.' },
  { name: 'FACEGATE_LIVE_IDLE_TIMEOUT_MS', defaultText: '`30000`', description: 'A live session that receives no frame for this long ends (its subscription completes).' },
  { name: 'FACEGATE_LIVE_MAX_FRAME_BYTES', defaultText: '`1048576`', description: 'Largest live frame (JPEG or WebP bytes after base64 decoding); larger frames fail with `IMAGE_TOO_LARGE`.' },
  { name: 'FACEGATE_LIVE_MAX_FPS', defaultText: '`30`', description: 'Frames accepted per second per session; frames over the rate are refused and counted as dropped.' },
  { name: 'FACEGATE_LIVE_MIN_FACE', defaultText: '`40`', description: 'Smallest face, in pixels, that live frames are searched for (uploads use 20).' },
  { name: 'FACEGATE_CHALLENGE_MAX_FAILURES', defaultText: '`3`', description: 'Movement challenges not completed (`CHALLENGE_FAILED`) from one client address within 10 minutes that put it on a cooldown; `0` disables cooldowns.' },
  { name: 'FACEGATE_CHALLENGE_COOLDOWN_MS', defaultText: '`300000`', description: 'How long a cooldown refuses new challenge sessions (`TOO_MANY_ATTEMPTS`).' },
  { name: 'FACEGATE_LOG_LEVEL', defaultText: '`info`', description: 'pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`.' },
  ...GALLERY_VARIABLES,
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Reads variables, collecting every problem instead of stopping at the first. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) return this.fail(name, `must be an integer, got ${JSON.stringify(raw)}`, fallback);
    const value = Number(raw);
    if (value < min || value > max) return this.fail(name, `must be between ${min} and ${max}, got ${value}`, fallback);
    return value;
  }

  float(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) return this.fail(name, `must be a number, got ${JSON.stringify(raw)}`, fallback);
    if (value < min || value > max) return this.fail(name, `must be between ${min} and ${max}, got ${value}`, fallback);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    return this.fail(name, `must be true or false, got ${JSON.stringify(raw)}`, fallback);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    return this.fail(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`, fallback);
  }

  fail<T>(name: string, problem: string, fallback: T): T {
    this.problems.push(`${name} ${problem}`);
    return fallback;
  }
}

/** Replica ids travel in headers, cookies and session ids: letters, digits, `-` and `_` only. */
export const REPLICA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** The host name as a replica id (dots and other characters become `-`), or `facegate`. */
function defaultReplicaId(): string {
  const cleaned = os.hostname().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 63);
  return REPLICA_ID_PATTERN.test(cleaned) ? cleaned : 'facegate';
}

function parseReplicaId(reader: EnvReader): string {
  const raw = reader.raw('FACEGATE_REPLICA_ID');
  if (raw === undefined) return defaultReplicaId();
  if (REPLICA_ID_PATTERN.test(raw)) return raw;
  return reader.fail('FACEGATE_REPLICA_ID', `must be 1-63 letters, digits, - or _ (starting with a letter or digit), got ${JSON.stringify(raw)}`, defaultReplicaId());
}

function parseCors(reader: EnvReader): Config['http']['cors'] {
  const raw = reader.raw('FACEGATE_CORS_ORIGINS');
  if (raw === undefined) return false;
  if (raw === '*') return '*';
  const origins = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of origins) {
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) reader.fail('FACEGATE_CORS_ORIGINS', `has ${JSON.stringify(origin)}, which is not an origin like https://example.com`, null);
  }
  return origins;
}

/** Parses and validates a configuration from environment variables (default: `process.env`). */
export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);
  const port = r.raw('FACEGATE_PORT') === undefined && r.raw('PORT') !== undefined ? r.int('PORT', 4000, 0, 65535) : r.int('FACEGATE_PORT', 4000, 0, 65535);
  const maxUploadBytes = r.int('FACEGATE_MAX_UPLOAD_BYTES', DEFAULT_DECODE_LIMITS.maxBytes, 1024, 1_000_000_000);
  const maxFiles = r.int('FACEGATE_MAX_FILES', 8, 1, 64);
  const clientDirRaw = r.raw('FACEGATE_CLIENT_DIR');
  const backend = r.oneOf<Backend>('FACEGATE_BACKEND', 'auto', ['auto', 'tensorflow', 'onnxruntime', 'wasm', 'cpu']);
  // tfjs-node(-gpu)'s native addon loads in one thread of a process only (tfjs#2079, #8388).
  const workers = r.int('FACEGATE_WORKERS', backend === 'tensorflow' ? 1 : availableCores(), 1, 256);
  const graphiql = r.bool('FACEGATE_GRAPHIQL', env['NODE_ENV'] !== 'production');
  const threads = r.int('FACEGATE_THREADS', Math.max(1, Math.floor(availableCores() / workers)), 1, 256);

  const config: Config = {
    http: {
      host: r.raw('FACEGATE_HOST') ?? '0.0.0.0',
      port,
      graphiql,
      introspection: r.bool('FACEGATE_INTROSPECTION', graphiql),
      introspectionMaxDepth: r.int('FACEGATE_INTROSPECTION_MAX_DEPTH', 15, 1, 100),
      headersTimeoutMs: r.int('FACEGATE_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
      requestTimeoutMs: r.int('FACEGATE_REQUEST_TIMEOUT_MS', 60_000, 100, 3_600_000),
      maxConnections: r.int('FACEGATE_MAX_CONNECTIONS', 1024, 1, 1_000_000),
      maxConnectionsPerAddress: r.int('FACEGATE_MAX_CONNECTIONS_PER_ADDRESS', 64, 0, 1_000_000),
      cors: parseCors(r),
      // The files, plus room for the operations and map fields and the multipart framing.
      maxBodyBytes: maxUploadBytes * maxFiles + 1024 * 1024,
      shutdownTimeoutMs: r.int('FACEGATE_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
      clientDir:
        clientDirRaw === 'none' ? null : path.resolve(packageRoot, clientDirRaw ?? path.join('dist', 'client')),
      replicaId: parseReplicaId(r),
    },
    pool: {
      workers,
      maxQueue: r.int('FACEGATE_QUEUE_LIMIT', 32, 0, 100_000),
      jobTimeoutMs: r.int('FACEGATE_JOB_TIMEOUT_MS', 30_000, 1, 3_600_000),
      startTimeoutMs: r.int('FACEGATE_WORKER_START_TIMEOUT_MS', 120_000, 1000, 3_600_000),
      backend,
      threads,
    },
    limits: {
      maxUploadBytes,
      maxPixels: r.int('FACEGATE_MAX_PIXELS', DEFAULT_DECODE_LIMITS.maxPixels, 1, 2_000_000_000),
      maxFiles,
      maxDepth: r.int('FACEGATE_MAX_DEPTH', 8, 1, 100),
      maxAliases: r.int('FACEGATE_MAX_ALIASES', 5, 0, 1000),
      maxTokens: r.int('FACEGATE_MAX_TOKENS', 1000, 10, 100_000),
      maxCost: r.int('FACEGATE_MAX_COST', 5000, 1, 10_000_000),
      maxDirectives: r.int('FACEGATE_MAX_DIRECTIVES', 10, 0, 1000),
    },
    verify: {
      threshold: r.float('FACEGATE_THRESHOLD', DEFAULT_THRESHOLD, -1, 1),
    },
    ws: {
      maxPayloadBytes: r.int('FACEGATE_WS_MAX_PAYLOAD_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      keepAliveMs: 12_000,
      connectionInitWaitTimeoutMs: 3_000,
    },
    live: {
      maxSessions: r.int('FACEGATE_LIVE_MAX_SESSIONS', 8, 0, 10_000),
      maxSessionsPerConnection: r.int('FACEGATE_LIVE_MAX_SESSIONS_PER_CONNECTION', 2, 1, 1000),
      idleTimeoutMs: r.int('FACEGATE_LIVE_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
      maxFrameBytes: r.int('FACEGATE_LIVE_MAX_FRAME_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      maxFps: r.int('FACEGATE_LIVE_MAX_FPS', 30, 1, 240),
      minFaceSize: r.int('FACEGATE_LIVE_MIN_FACE', 40, 12, 10_000),
      challengeMaxFailures: r.int('FACEGATE_CHALLENGE_MAX_FAILURES', 3, 0, 1000),
      challengeCooldownMs: r.int('FACEGATE_CHALLENGE_COOLDOWN_MS', 300_000, 1000, 86_400_000),
    },
    log: {
      level: r.oneOf<LogLevel>('FACEGATE_LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    },
    gallery: readGalleryConfig(r, packageRoot),
  };
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    r.problems.push('FACEGATE_HEADERS_TIMEOUT_MS must not be larger than FACEGATE_REQUEST_TIMEOUT_MS');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

let cached: Config | undefined;

/** The process-wide configuration, parsed from `process.env` on first use. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}

/** Forgets the memoised configuration (tests). */
export function resetConfig(): void {
  cached = undefined;
}
