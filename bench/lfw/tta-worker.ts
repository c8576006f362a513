/**
 * Tuning worker for test-time augmentation (bench/tune-tta.ts): embeds one face under each template
 * variant asked for, plain and mirrored, and returns every vector unnormalised-summed per variant pair
 * kept apart, so the script can try any combination without running the network again.
 */
import { parentPort } from 'node:worker_threads';
import { alignmentTransform, mirrorChip, warpToChip } from '../../models/align.js';
import { dlibChipTemplate } from '../../models/embedders/dlib-resnet.js';
import { FacePipeline, type BackendRequest, type Face, type RgbImage } from '../../models/index.js';
import { serveWorker } from './pool.js';

export interface TtaTask {
  key: string;
  image: RgbImage;
  face: Face;
  variants: Array<{ scale: number; shiftY: number }>;
}

export interface TtaResult {
  key: string;
  /** Per variant: the plain chip's and the mirrored chip's unit vectors. */
  vectors: Array<{ plain: Float32Array; mirror: Float32Array }>;
}

let pipeline: FacePipeline | undefined;

if (parentPort) {
  serveWorker<TtaTask, TtaResult, { backend: string }>(parentPort, {
    async init(options) {
      pipeline = await FacePipeline.load({ backend: (options as { backend: BackendRequest }).backend, flip: false });
      return { backend: pipeline.backend };
    },
    task: ({ key, image, face, variants }) => {
      const p = pipeline!;
      const chips = variants.map((v) => warpToChip(image, alignmentTransform(face.landmarks, dlibChipTemplate(150, 0.25, v)), 150));
      const all = p.embedChips([...chips, ...chips.map((c) => mirrorChip(c, 150))]);
      return { result: { key, vectors: variants.map((_, i) => ({ plain: all[i]!, mirror: all[i + variants.length]! })) } };
    },
    close: () => pipeline?.dispose(),
  });
}
