/** `verify`: are two images of the same person? */
import { builder } from '../builder.js';
import type { EmbeddingResult, VerificationResult } from '../inference/service.js';
import { FaceRef, faceChoice, FaceSelectionRef, FaceSelectorInput, guarded, ImageInfoRef, ms, readUpload, StageTimingsRef } from './common.js';

export const VerifiedImageRef = builder.objectRef<EmbeddingResult>('VerifiedImage').implement({
  description: 'One side of a verification: the face that was compared and its image.',
  fields: (t) => ({
    image: t.expose('image', { type: ImageInfoRef }),
    face: t.expose('face', { type: FaceRef, description: 'The face that was compared (`selection` says which and how it was chosen).' }),
    faces: t.expose('faces', { type: [FaceRef], description: 'Every face found in this image, largest first, as `detect` lists them: `selection.index` points into this list.' }),
    faceCount: t.exposeInt('faceCount', { description: 'How many faces the detector found in this image.' }),
    selection: t.expose('selection', { type: FaceSelectionRef, description: 'Which face was compared and how it was chosen.' }),
    timings: t.expose('timings', { type: StageTimingsRef }),
  }),
});

interface VerificationTimings {
  compareMs: number;
  totalMs: number;
}

export const VerificationTimingsRef = builder.objectRef<VerificationTimings>('VerificationTimings').implement({
  description: 'Milliseconds: the comparison itself, and the whole verification (both images ran in parallel).',
  fields: (t) => ({
    compareMs: t.float({ resolve: (v) => ms(v.compareMs) }),
    totalMs: t.float({ resolve: (v) => ms(v.totalMs) }),
  }),
});

export const VerificationRef = builder.objectRef<VerificationResult>('Verification').implement({
  description: 'The decision for a pair of images, with both chosen faces for overlays.',
  fields: (t) => ({
    similarity: t.exposeFloat('similarity', { description: 'Cosine similarity of the two embeddings, -1..1.' }),
    distance: t.exposeFloat('distance', { description: 'Cosine distance, 1 - similarity.' }),
    threshold: t.exposeFloat('threshold', { description: 'The threshold used: the argument, or the server default.' }),
    match: t.exposeBoolean('match', { description: 'similarity >= threshold.' }),
    model: t.exposeString('model'),
    reference: t.expose('reference', { type: VerifiedImageRef }),
    probe: t.expose('probe', { type: VerifiedImageRef }),
    timings: t.expose('timings', { type: VerificationTimingsRef }),
  }),
});

builder.mutationField('verify', (t) =>
  t.field({
    type: VerificationRef,
    description:
      'Compares one face of each image: the most prominent unless `referenceFace`/`probeFace` say otherwise. Fails with NO_FACE (extensions.argument says which image) when one has no face.',
    args: {
      reference: t.arg({ type: 'File', required: true }),
      probe: t.arg({ type: 'File', required: true }),
      threshold: t.arg.float({
        description: 'Cosine-similarity threshold in [-1, 1]; default: the server\'s (see Query.info.defaultThreshold).',
      }),
      referenceFace: t.arg({ type: FaceSelectorInput, description: 'Which face of the reference; default: { rule: PROMINENT }.' }),
      probeFace: t.arg({ type: FaceSelectorInput, description: 'Which face of the probe; default: { rule: PROMINENT }.' }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const [reference, probe] = await Promise.all([
          readUpload(args.reference, 'reference', ctx),
          readUpload(args.probe, 'probe', ctx),
        ]);
        const referenceFace = faceChoice(args.referenceFace);
        const probeFace = faceChoice(args.probeFace);
        return ctx.deps.inference.verify(reference, probe, {
          threshold: args.threshold,
          signal: ctx.signal,
          ...(referenceFace ? { referenceFace } : {}),
          ...(probeFace ? { probeFace } : {}),
        });
      }),
  }),
);
