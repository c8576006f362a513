/**
 * The open-set target that `eval:gallery` and `calibrate:gallery` use by default: the gallery service's
 * own functions with embeddings made once per image (embeddings.ts). Enrollment is what `enrollFaces`
 * runs after embedding: `GalleryService.enrollEmbedded` (face selection, quality gate on the file's
 * pixels, duplicate check, limits, store, index); a search is what `identifyFace` runs after embedding:
 * `GalleryService.identifyEmbedding` (index search, threshold, margin, decision). Skipped: only the
 * GraphQL layer (parsing, auth, multipart) and the repeated embedding of the same bytes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isServiceError } from '../../server/errors.js';
import type { GalleryService } from '../../server/gallery/service.js';
import type { EmbeddingCache } from './embeddings.js';
import type { OpenSetTarget } from './openset.js';

export function serviceTarget(gallery: GalleryService, cache: EmbeddingCache): OpenSetTarget {
  return {
    async createGallery(name, matchPolicy) {
      const g = await gallery.createGallery({ name, matchPolicy });
      return { id: g.id, identifyThreshold: g.matchPolicy.identifyThreshold, minMargin: g.matchPolicy.minMargin };
    },
    async enroll(galleryId, person, file) {
      const subject = await gallery.createSubject(galleryId, { externalId: person });
      const image = { bytes: new Uint8Array(await readFile(file)), filename: path.basename(file), type: 'image/jpeg' };
      const result = await gallery.enrollEmbedded(subject.id, [image], [cache.outcome(file)]);
      if (result.enrolled.length === 1) return { subjectId: subject.id };
      return { reason: result.rejected[0]?.reason ?? 'UNKNOWN' };
    },
    async identify(galleryId, file, topK) {
      const outcome = cache.outcome(file);
      // identifyFace answers an image without a usable face with the inference error's code.
      if (!outcome.ok) return { error: outcome.reason };
      const record = await gallery.requireGallery(galleryId);
      const r = outcome.result;
      try {
        const found = await gallery.identifyEmbedding(record, r.embedding, topK, { image: r.image, face: r.face, faceCount: r.faceCount }, r.model);
        return { decision: found.decision, candidates: found.candidates.map((c) => ({ subjectId: c.subject.id, similarity: c.similarity })) };
      } catch (error) {
        if (isServiceError(error)) return { error: error.code };
        throw error;
      }
    },
  };
}
