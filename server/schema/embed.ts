/** `embed`: the embedding of the largest face in one image. */
import { builder } from '../builder.js';
import type { EmbeddingResult } from '../inference/service.js';
import { FaceRef, faceChoice, FaceSelectionRef, FaceSelectorInput, guarded, ImageInfoRef, readUpload, StageTimingsRef } from './common.js';

export const EmbeddingRef = builder.objectRef<EmbeddingResult>('Embedding').implement({
  description: "One face's embedding: a unit vector; the cosine similarity of two is their dot product.",
  fields: (t) => ({
    image: t.expose('image', { type: ImageInfoRef }),
    face: t.expose('face', { type: FaceRef, description: 'The face that was embedded (see `selection`).' }),
    faceCount: t.exposeInt('faceCount', { description: 'How many faces the detector found in the image.' }),
    selection: t.expose('selection', { type: FaceSelectionRef, description: 'Which face was embedded and how it was chosen.' }),
    vector: t.floatList({ description: 'The L2-normalised embedding.', resolve: (e) => Array.from(e.embedding) }),
    dimensions: t.int({ resolve: (e) => e.embedding.length }),
    model: t.exposeString('model', { description: 'Embedding model that produced the vector (e.g. dlib-resnet-v1).' }),
    timings: t.expose('timings', { type: StageTimingsRef }),
  }),
});

builder.mutationField('embed', (t) =>
  t.field({
    type: EmbeddingRef,
    description:
      'Embeds one face of an image: the most prominent unless `face` says otherwise. Fails with NO_FACE when there is none.',
    args: {
      image: t.arg({ type: 'File', required: true }),
      face: t.arg({ type: FaceSelectorInput, description: 'Which face to embed; default: { rule: PROMINENT }.' }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const choice = faceChoice(args.face);
        const bytes = await readUpload(args.image, 'image', ctx);
        return ctx.deps.inference.embed(bytes, { signal: ctx.signal, ...(choice ? { choice } : {}) });
      }),
  }),
);
