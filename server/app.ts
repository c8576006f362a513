/**
 * The running server: one HTTP server on one port carrying GraphQL over HTTP (yoga), GraphQL over
 * WebSocket (graphql-ws on the same path), the ops endpoints and the built client; the inference pool
 * behind it; graceful shutdown in order.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { execute, ExecutionArgs, GraphQLError, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Counter, Gauge } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { ServerDeps } from './builder.js';
import { packageRoot, type Config } from './config.js';
import { GalleryService } from './gallery/service.js';
import { createInferencePool, InferenceService } from './inference/service.js';
import type { WorkerInfo } from './inference/protocol.js';
import { createLogger, requestIdFrom, withRequestId, type Logger } from './logger.js';
import { createMetrics, METRIC_PREFIX, type Metrics } from './metrics.js';
import { requestOriginAllowed } from './origin.js';
import type { WorkerPool } from './pool/pool.js';
import { ConnectionGuard } from './connections.js';
import { liveMetrics } from './live/metrics.js';
import { LiveSessionManager } from './live/sessions.js';
import { ChallengeService } from './live/challenge/run.js';
import { REPLICA_HEADER } from './replica.js';
import { staticClient } from './static.js';
import { GRAPHQL_PATH, makeYoga, normalizeError, type FacegateYoga } from './yoga.js';

export interface StartOptions {
  /** Defaults to a pino logger at `config.log.level` on stdout. */
  logger?: Logger;
  /** Defaults to a fresh registry with the default process metrics. */
  metrics?: Metrics;
}

export interface RunningServer {
  /** `http://host:port` as bound (the real port when config asked for 0). */
  readonly url: string;
  readonly port: number;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly yoga: FacegateYoga;
  readonly pool: WorkerPool<WorkerInfo>;
  readonly inference: InferenceService;
  readonly live: LiveSessionManager;
  readonly gallery: GalleryService;
  readonly httpServer: Server;
  readonly wsServer: WebSocketServer;
  /** Settles when every worker has loaded its models (rejects when they cannot). */
  readonly ready: Promise<void>;
  /** Graceful shutdown; idempotent. */
  stop(reason?: string): Promise<void>;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** How often Node checks the header and request deadlines of open connections. */
const CONNECTIONS_CHECK_MS = 1000;

/** Starts listening at once (so /healthz answers) while the workers load; see `ready`. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log.level);
  const log = logger.child({ module: 'server' });
  const metrics = options.metrics ?? createMetrics();
  const pool = createInferencePool(config, logger, metrics);
  const inference = new InferenceService(pool, config, metrics);
  // The gallery store opens (and migrates) before anything listens: a bad database fails the start.
  const gallery = await GalleryService.open(config.gallery, inference, logger, undefined, metrics);
  const live = new LiveSessionManager(
    {
      maxSessions: config.live.maxSessions,
      maxSessionsPerOwner: config.live.maxSessionsPerConnection,
      idleTimeoutMs: config.live.idleTimeoutMs,
      maxFrameBytes: config.live.maxFrameBytes,
      maxFps: config.live.maxFps,
      replicaId: config.http.replicaId,
    },
    (frame, signal, options) => inference.analyseFrame(frame, { signal, minFaceSize: config.live.minFaceSize, ...options }),
    liveMetrics(metrics),
    logger.child({ module: 'live' }),
    new ChallengeService({
      cooldown: { maxFailures: config.live.challengeMaxFailures, windowMs: 10 * 60_000, cooldownMs: config.live.challengeCooldownMs },
    }),
  );
  let stopping = false;

  const deps: ServerDeps = {
    config,
    logger,
    metrics,
    inference,
    live,
    gallery,
    version: packageVersion(),
    startedAt: Date.now(),
    isReady: () => !stopping && pool.ready,
  };
  const yoga = makeYoga(deps);
  const serveClient = staticClient(config.http.clientDir);
  if (serveClient) log.info({ dir: config.http.clientDir }, 'serving the web client');

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const header = req.headers['x-request-id'];
    const requestId = requestIdFrom(Array.isArray(header) ? header[0] : header);
    res.setHeader('x-request-id', requestId);
    // Behind a load balancer: which replica answered (a live session's routing key, see server/replica.ts).
    res.setHeader(REPLICA_HEADER, config.http.replicaId);
    withRequestId(requestId, () => {
      void (async () => {
        try {
          const pathname = (req.url ?? '/').split('?')[0] ?? '/';
          const isApi = pathname === GRAPHQL_PATH || pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics';
          if (!isApi && serveClient && (await serveClient(req, res))) return;
          await yoga.requestListener(req, res);
        } catch (error) {
          log.error({ err: error }, 'unhandled error while serving a request');
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL' } }] }));
          } else {
            res.destroy();
          }
        }
      })();
    });
  };

  // Slow clients cannot hold a socket: the headers and the whole request must arrive in time. Node checks
  // these deadlines every `connectionsCheckingInterval` (30 s by default, which cut sockets ~30 s late).
  const httpServer = createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
    handle,
  );
  const refused = new Counter({
    name: `${METRIC_PREFIX}connections_refused_total`,
    help: 'TCP connections and WebSocket upgrades refused: over the total or per-address cap, or from a foreign origin.',
    labelNames: ['reason'],
    registers: [metrics.registry],
  });
  const connections = new ConnectionGuard(
    { maxConnections: config.http.maxConnections, maxConnectionsPerAddress: config.http.maxConnectionsPerAddress },
    (reason) => refused.inc({ reason }),
    logger.child({ module: 'connections' }),
  );
  connections.attach(httpServer);
  new Gauge({
    name: `${METRIC_PREFIX}connections_open`,
    help: 'Open TCP connections (HTTP and WebSocket).',
    registers: [metrics.registry],
    collect() {
      this.set(connections.open);
    },
  });

  // GraphQL over WebSocket on the same port and path, through yoga's envelop: same schema, plugins,
  // limits and masking as HTTP. Subscriptions (live verification) plug in here. Browsers apply no CORS
  // to sockets, so the upgrade itself checks the origin (server/origin.ts).
  const wsLog = logger.child({ module: 'ws' });
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: GRAPHQL_PATH,
    maxPayload: config.ws.maxPayloadBytes,
    verifyClient: ({ req }, done) => {
      if (requestOriginAllowed(req, config.http.cors)) return done(true);
      refused.inc({ reason: 'origin' });
      wsLog.warn({ origin: req.headers.origin, host: req.headers.host }, 'WebSocket upgrade refused: origin not allowed');
      done(false, 403, 'Forbidden');
    },
  });
  const wsDisposer = useServer(
    {
      // Close reasons never carry an internal error's message.
      isProd: true,
      connectionInitWaitTimeout: config.ws.connectionInitWaitTimeoutMs,
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: () => !stopping,
      // A connection that goes away takes its live sessions with it.
      onClose: (ctx) => live.closeOwner(live.ownerOf(ctx.extra.socket)),
      onSubscribe: async (ctx, _id, payload) => {
        // `req`, not `request`: yoga treats a `request` as the HTTP request of the operation (a GET upgrade here)
        // and would refuse mutations over the socket.
        const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params: payload });
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [normalizeError(error as GraphQLError)];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors.map(normalizeError);
        const rootValue: EnvelopedRoot = { execute: enveloped.execute, subscribe: enveloped.subscribe };
        return {
          schema: enveloped.schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue,
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => normalizeError(e)) } : result,
    },
    wsServer,
    config.ws.keepAliveMs,
  );

  // A socket error (a frame over maxPayload, a protocol violation: ws has already closed the socket with
  // 1009 or 1002) is the client's doing: one log line, not graphql-ws's console.error with a stack.
  // graphql-ws registers its handler in its own 'connection' listener, which runs before this one.
  wsServer.on('connection', (socket, request) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => {
      wsLog.warn({ code: error.code, reason: error.message, address: request.socket.remoteAddress }, 'WebSocket closed after a client error');
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.http.port, config.http.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await gallery.close();
    throw error;
  });
  const address = httpServer.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl === '0.0.0.0' || hostForUrl === '[::]' ? '127.0.0.1' : hostForUrl}:${address.port}`;
  log.info({ url, workers: config.pool.workers, backend: config.pool.backend }, 'listening; loading models');

  const started = performance.now();
  const ready = pool.start().then(
    () => {
      log.info({ ms: Math.round(performance.now() - started), info: pool.info }, 'ready: models loaded in every worker');
    },
    (error: unknown) => {
      log.fatal({ err: error }, 'the inference workers could not load their models');
      throw error;
    },
  );
  // The caller decides what a failed start means (main.ts exits); never an unhandled rejection here.
  ready.catch(() => undefined);

  let stopped: Promise<void> | undefined;
  const stop = (reason = 'stop'): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      const deadline = Date.now() + config.http.shutdownTimeoutMs;
      log.info({ reason, timeoutMs: config.http.shutdownTimeoutMs }, 'shutting down: draining requests');
      // 1. Stop accepting connections; idle keep-alive sockets close now, busy ones after their response.
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // 2. WebSocket clients: "going away", then dispose graphql-ws (completes its subscriptions).
      live.dispose();
      for (const client of wsServer.clients) client.close(1001, 'server shutting down');
      await wsDisposer.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      // 3. In-flight HTTP requests finish (the pool still runs them) until the deadline.
      const timer = setTimeout(() => httpServer.closeAllConnections(), Math.max(0, deadline - Date.now()));
      await httpClosed;
      clearTimeout(timer);
      // 4. yoga, then the pool (what is left of the budget), then the logs.
      await yoga.dispose();
      await pool.close({ timeoutMs: Math.max(0, deadline - Date.now()) });
      await gallery.close();
      log.info('stopped');
      logger.flush();
    })();
    return stopped;
  };

  return { url, port: address.port, config, logger, metrics, yoga, pool, inference, live, gallery, httpServer, wsServer, ready, stop };
}

type OperationResult = ReturnType<typeof execute> | ReturnType<typeof subscribe>;

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}
