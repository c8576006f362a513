/**
 * Prometheus metrics. Each server owns its `Registry` (several servers can run in one test process);
 * `/metrics` serves it. Later features register their own metrics on `metrics.registry`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'facegate_';

/** Seconds; inference stages run from ~5 ms (compare, decode) to seconds under load. */
const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface Metrics {
  readonly registry: Registry;
  /** GraphQL operations by root field (`detect`, `verify`, ...) and outcome (`ok` or an error code). */
  readonly requests: Counter<'operation' | 'outcome'>;
  /** Wall time of GraphQL root fields. */
  readonly requestDuration: Histogram<'operation'>;
  /** Per-stage latency: decode, queue, detect, align, embed, compare. */
  readonly stageDuration: Histogram<'stage'>;
  /** Jobs waiting for a worker. */
  readonly queueDepth: Gauge;
  /** Workers by state: starting, idle, busy. */
  readonly workers: Gauge<'state'>;
  /** Workers replaced after a crash or a timeout. */
  readonly workerRestarts: Counter<'reason'>;
  /** Pool jobs by kind and outcome. */
  readonly jobs: Counter<'kind' | 'outcome'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: `${METRIC_PREFIX}graphql_requests_total`,
      help: 'GraphQL root fields executed, by operation (root field) and outcome (ok or error code).',
      labelNames: ['operation', 'outcome'],
      registers,
    }),
    requestDuration: new Histogram({
      name: `${METRIC_PREFIX}graphql_request_duration_seconds`,
      help: 'Wall time of GraphQL operations, by root field.',
      labelNames: ['operation'],
      buckets: STAGE_BUCKETS,
      registers,
    }),
    stageDuration: new Histogram({
      name: `${METRIC_PREFIX}stage_duration_seconds`,
      help: 'Latency of pipeline stages: decode, queue (waiting for a worker), detect, align, embed, compare.',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({
      name: `${METRIC_PREFIX}pool_queue_depth`,
      help: 'Inference jobs waiting for a worker.',
      registers,
    }),
    workers: new Gauge({
      name: `${METRIC_PREFIX}pool_workers`,
      help: 'Inference workers by state (starting, idle, busy).',
      labelNames: ['state'],
      registers,
    }),
    workerRestarts: new Counter({
      name: `${METRIC_PREFIX}pool_worker_restarts_total`,
      help: 'Inference workers replaced, by reason (crash, timeout).',
      labelNames: ['reason'],
      registers,
    }),
    jobs: new Counter({
      name: `${METRIC_PREFIX}pool_jobs_total`,
      help: 'Inference jobs by kind and outcome (ok or error code).',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
  };
}
