/** The gallery's Prometheus metrics, registered on the server's registry (see server/metrics.ts). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics.js';

export interface GalleryMetrics {
  /** Identifications by decision (MATCH, NO_MATCH, AMBIGUOUS) and search method (EXACT, ANN). */
  identifications: Counter<'decision' | 'method'>;
  /** Enrollment images by outcome: enrolled or the rejection reason. */
  enrollments: Counter<'outcome'>;
  /** Index search time, seconds. */
  searchDuration: Histogram<'method'>;
  /** Templates in this server's in-memory indexes, all galleries together. */
  indexedTemplates: Gauge;
  /** Changes received from other replicas (PostgreSQL NOTIFY), by kind. */
  remoteChanges: Counter<'kind'>;
}

export function createGalleryMetrics(registry: Registry, indexed: () => number): GalleryMetrics {
  const registers = [registry];
  return {
    identifications: new Counter({ name: `${METRIC_PREFIX}gallery_identifications_total`, help: 'identifyFace answers by decision and search method.', labelNames: ['decision', 'method'], registers }),
    enrollments: new Counter({ name: `${METRIC_PREFIX}gallery_enrollment_images_total`, help: 'enrollFaces images by outcome (enrolled or the rejection reason).', labelNames: ['outcome'], registers }),
    searchDuration: new Histogram({
      name: `${METRIC_PREFIX}gallery_search_seconds`,
      help: 'In-memory index search time.',
      labelNames: ['method'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    indexedTemplates: new Gauge({
      name: `${METRIC_PREFIX}gallery_indexed_templates`,
      help: "Templates in this server's in-memory search indexes.",
      registers,
      collect() {
        this.set(indexed());
      },
    }),
    remoteChanges: new Counter({ name: `${METRIC_PREFIX}gallery_remote_changes_total`, help: 'Changes applied from other replicas (PostgreSQL LISTEN/NOTIFY), by kind.', labelNames: ['kind'], registers }),
  };
}
