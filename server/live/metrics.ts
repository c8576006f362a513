/** Prometheus metrics of live sessions, registered on the server's registry. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { METRIC_PREFIX, type Metrics } from '../metrics.js';
import type { LiveObserver } from './sessions.js';

export function liveMetrics(metrics: Metrics): LiveObserver {
  const registers = [metrics.registry];
  const active = new Gauge({ name: `${METRIC_PREFIX}live_sessions_active`, help: 'Live verification sessions open now.', registers });
  const processed = new Histogram({
    name: `${METRIC_PREFIX}live_frame_latency_seconds`,
    help: 'Live frames processed: from arrival to result (its count is the number of frames processed).',
    buckets: [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5],
    registers,
  });
  const dropped = new Counter({
    name: `${METRIC_PREFIX}live_frames_dropped_total`,
    help: 'Live frames dropped: replaced by a newer frame while waiting, or refused by the frame-rate limit.',
    labelNames: ['reason'],
    registers,
  });
  active.set(0);
  return {
    sessionsChanged: (n) => active.set(n),
    frameProcessed: (ms) => processed.observe(ms / 1000),
    frameDropped: (reason) => dropped.inc({ reason }),
  };
}
