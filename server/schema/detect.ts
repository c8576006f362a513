/** `detect`: every face in one image, with boxes, scores and landmarks. */
import { builder } from '../builder.js';
import type { DetectionResult } from '../inference/service.js';
import { FaceRef, guarded, ImageInfoRef, readUpload, StageTimingsRef } from './common.js';

/** The detector every response names; the face library runs MTCNN (DESIGN.md section 3). */
export const DETECTOR_NAME = 'mtcnn';

export const DetectionRef = builder.objectRef<DetectionResult>('Detection').implement({
  description: 'Every face found in one image, largest first.',
  fields: (t) => ({
    image: t.expose('image', { type: ImageInfoRef }),
    faces: t.expose('faces', { type: [FaceRef] }),
    faceCount: t.int({ resolve: (d) => d.faces.length }),
    detector: t.string({ description: 'Face detector that produced the boxes.', resolve: () => DETECTOR_NAME }),
    timings: t.expose('timings', { type: StageTimingsRef }),
  }),
});

builder.mutationField('detect', (t) =>
  t.field({
    type: DetectionRef,
    description: 'Detects every face in an image: boxes, scores and the five landmarks. No face is not an error here.',
    args: {
      image: t.arg({ type: 'File', required: true, description: 'JPEG, PNG, WebP, GIF (first frame), AVIF or TIFF.' }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => ctx.deps.inference.detect(await readUpload(args.image, 'image', ctx), ctx.signal)),
  }),
);
