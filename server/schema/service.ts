/** Queries about the service itself: `health` and `info`. */
import { builder, type ServerDeps } from '../builder.js';
import type { PoolStats } from '../pool/pool.js';
import { DETECTOR_NAME } from './detect.js';

interface Health {
  ready: boolean;
  pool: PoolStats;
  uptimeSeconds: number;
}

const WorkerPoolStatusRef = builder.objectRef<PoolStats>('WorkerPoolStatus').implement({
  description: 'The inference worker pool right now.',
  fields: (t) => ({
    size: t.exposeInt('size', { description: 'Configured workers.' }),
    ready: t.int({ description: 'Workers with their models loaded.', resolve: (p) => p.idle + p.busy }),
    busy: t.exposeInt('busy'),
    queued: t.exposeInt('queued', { description: 'Jobs waiting for a worker.' }),
    restarts: t.exposeInt('restarts', { description: 'Workers replaced since start (crash or timeout).' }),
  }),
});

const HealthRef = builder.objectRef<Health>('Health').implement({
  fields: (t) => ({
    status: t.string({ description: '"ok" when ready, "starting" or "degraded" otherwise.', resolve: (h) => (h.ready ? 'ok' : h.pool.restarts > 0 ? 'degraded' : 'starting') }),
    ready: t.exposeBoolean('ready', { description: 'Every worker has loaded its models (as /readyz).' }),
    workers: t.expose('pool', { type: WorkerPoolStatusRef }),
    uptimeSeconds: t.exposeFloat('uptimeSeconds'),
  }),
});

interface ModelInfo {
  name: string;
  dimensions: number;
  inputSize: number;
}

const ModelInfoRef = builder.objectRef<ModelInfo>('ModelInfo').implement({
  description: 'The embedding model.',
  fields: (t) => ({
    name: t.exposeString('name'),
    dimensions: t.exposeInt('dimensions', { description: 'Length of an embedding vector.' }),
    inputSize: t.exposeInt('inputSize', { description: 'Side of the aligned face crop, in pixels.' }),
  }),
});

const LimitsRef = builder.objectRef<ServerDeps['config']['limits']>('Limits').implement({
  description: 'Request limits of this server.',
  fields: (t) => ({
    maxUploadBytes: t.exposeInt('maxUploadBytes'),
    maxPixels: t.exposeInt('maxPixels'),
    maxFilesPerRequest: t.exposeInt('maxFiles'),
  }),
});

const ServiceInfoRef = builder.objectRef<ServerDeps>('ServiceInfo').implement({
  fields: (t) => ({
    version: t.exposeString('version'),
    backend: t.string({
      nullable: true,
      description: 'Inference backend the workers run (tensorflow, onnxruntime, wasm, cpu); null until a worker has loaded.',
      resolve: (d) => d.inference.pool.info?.backend ?? null,
    }),
    model: t.field({
      type: ModelInfoRef,
      nullable: true,
      description: 'The embedding model; null until a worker has loaded.',
      resolve: (d) => d.inference.pool.info?.model ?? null,
    }),
    detector: t.string({ resolve: () => DETECTOR_NAME }),
    defaultThreshold: t.float({ description: 'Threshold verify uses when none is given.', resolve: (d) => d.config.verify.threshold }),
    workers: t.int({ description: 'Configured inference workers.', resolve: (d) => d.config.pool.workers }),
    limits: t.field({ type: LimitsRef, resolve: (d) => d.config.limits }),
  }),
});

builder.queryType({
  fields: (t) => ({
    health: t.field({
      type: HealthRef,
      description: 'Liveness and readiness, as /healthz and /readyz report them.',
      resolve: (_root, _args, ctx) => ({
        ready: ctx.deps.isReady(),
        pool: ctx.deps.inference.pool.stats(),
        uptimeSeconds: Math.round((Date.now() - ctx.deps.startedAt) / 10) / 100,
      }),
    }),
    info: t.field({
      type: ServiceInfoRef,
      description: 'What this server runs: backend, models, default threshold, workers, limits.',
      resolve: (_root, _args, ctx) => ctx.deps,
    }),
  }),
});
