/**
 * Gallery-backed live sessions (the hook in server/live/sessions.ts is a FrameScorer):
 * - against a subject: each frame's face scored against every template of the subject (best wins);
 * - identification: who is in front of the camera, decided on the last frames together. Each frame with a
 *   face adds its top candidates; every candidate is then scored exactly on every frame of the window and
 *   averaged with the frame's quality as weight (detector score x face size, so small or doubtful faces
 *   count less); the gallery's identification threshold and minimum margin decide, as in identifyFace.
 */
import type { FrameAnalysis, FrameScorer, LiveIdentity } from '../live/sessions.js';
import type { GalleryIndex } from './search/gallery-index.js';
import type { GalleryRecord } from './types.js';

/** Frames an identification decision aggregates. */
export const LIVE_WINDOW = 8;
/** Face side (pixels) from which a frame counts fully. */
const FULL_WEIGHT_FACE = 112;

export function frameWeight(analysis: FrameAnalysis): number {
  const face = analysis.faces[0];
  if (!face) return 0;
  const size = Math.min(face.box.width, face.box.height);
  return face.score * Math.min(1, Math.max(0.25, size / FULL_WEIGHT_FACE));
}

export function subjectScorer(index: () => GalleryIndex, subjectId: string, threshold: number): FrameScorer {
  return {
    score(analysis) {
      if (!analysis.embedding) return { similarity: null, match: null, identity: null };
      const score = index().scoreSubject(subjectId, analysis.embedding);
      if (!score) return { similarity: null, match: null, identity: null };
      return { similarity: score.best, match: score.best >= threshold, identity: null };
    },
  };
}

export function identificationScorer(index: () => GalleryIndex, gallery: GalleryRecord): FrameScorer {
  const window: { embedding: Float32Array; weight: number; candidates: string[] }[] = [];
  const { identifyThreshold, minMargin } = gallery.matchPolicy;
  return {
    score(analysis) {
      if (!analysis.embedding) return { similarity: null, match: null, identity: window.length ? decide() : null };
      const idx = index();
      const candidates = idx.search(analysis.embedding, 5).hits.map((h) => h.subjectId);
      window.push({ embedding: analysis.embedding, weight: frameWeight(analysis), candidates });
      if (window.length > LIVE_WINDOW) window.shift();
      const identity = decide();
      return { similarity: identity.similarity, match: identity.decision === 'MATCH', identity };
    },
  };

  function decide(): LiveIdentity {
    const idx = index();
    const subjects = new Set(window.flatMap((f) => f.candidates));
    const totalWeight = window.reduce((s, f) => s + f.weight, 0) || 1;
    const scored: { subjectId: string; similarity: number }[] = [];
    for (const subjectId of subjects) {
      let sum = 0;
      let ok = true;
      for (const f of window) {
        const s = idx.scoreSubject(subjectId, f.embedding);
        if (!s) {
          ok = false;
          break;
        }
        sum += f.weight * s.best;
      }
      if (ok) scored.push({ subjectId, similarity: sum / totalWeight });
    }
    scored.sort((a, b) => b.similarity - a.similarity);
    const [first, second] = scored;
    const margin = first && second ? first.similarity - second.similarity : null;
    let decision: LiveIdentity['decision'] = 'NO_MATCH';
    if (first && first.similarity >= identifyThreshold) decision = margin !== null && margin < minMargin ? 'AMBIGUOUS' : 'MATCH';
    return { decision, subjectId: decision === 'MATCH' ? first!.subjectId : null, similarity: first?.similarity ?? null, margin, frames: window.length };
  }
}
