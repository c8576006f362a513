/**
 * Which face of a photo is its subject. `embed`, `verify`, live frames and enrollment all use one face
 * per image, chosen here; the answer always says which face was used, how many were found, and whether
 * the choice was a close call.
 *
 * The default rule, PROMINENT, scores each face by how a person framing the photo would:
 *   prominence = size * inFrame^BORDER_POWER * exp(-offset^2 / (2 * CENTRE_SIGMA^2))
 * where size is the side of the detected box (before clipping) relative to the image's geometric mean
 * side, inFrame the fraction of that box inside the image (a bystander cut by the border scores less),
 * and offset the distance of the face's centre from the image centre relative to half the image
 * diagonal. The two constants were chosen on LFW View 1 only (bench/tune-selection.ts); View 2 is for
 * reporting. The detector's score is not a factor: every face here already passed O-Net's 0.7.
 */
import { FaceError } from './errors.js';
import type { Face } from './types.js';

/** How to choose the face: the most prominent (default), the largest, or one by its index in `detect`'s list. */
export type FaceChoice = { rule: 'prominent' } | { rule: 'largest' } | { rule: 'index'; index: number };

export const PROMINENT: FaceChoice = { rule: 'prominent' };

export interface ProminenceParams {
  /** Exponent on the in-frame fraction: how much a face cut by the border loses. */
  borderPower: number;
  /** Gaussian fall-off of the centre term, in half-diagonals; Infinity ignores position. */
  centreSigma: number;
}

/** Chosen on LFW View 1 (bench/tune-selection.ts; the README quotes the grid). */
export const PROMINENCE: ProminenceParams = { borderPower: 2, centreSigma: 0.5 };

/**
 * A choice is flagged ambiguous when the runner-up scores at least this fraction of the chosen face
 * (by prominence for PROMINENT, by area for LARGEST): a close call that a person should confirm.
 */
export const AMBIGUITY_RATIO = 0.8;

export interface FaceSelection {
  /** Index of the chosen face in the detector's list (largest first, as `detect` returns it). */
  index: number;
  face: Face;
  faceCount: number;
  rule: FaceChoice['rule'];
  /** Another face was nearly as good a choice (never for an explicit index). */
  ambiguous: boolean;
  /** The runner-up's index when `ambiguous`, else null. */
  runnerUp: number | null;
}

/** The PROMINENT rule's score of one face (higher is more prominent). */
export function prominence(face: Pick<Face, 'box' | 'inFrame'>, width: number, height: number, params: ProminenceParams = PROMINENCE): number {
  const { box, inFrame } = face;
  const visible = Math.max(0, Math.min(1, inFrame));
  const fullArea = visible > 0 ? (box.width * box.height) / visible : 0;
  const size = Math.sqrt(fullArea) / Math.sqrt(width * height);
  const dx = box.x + box.width / 2 - width / 2;
  const dy = box.y + box.height / 2 - height / 2;
  const offset = Math.hypot(dx, dy) / (0.5 * Math.hypot(width, height));
  const centre = Number.isFinite(params.centreSigma) ? Math.exp(-(offset * offset) / (2 * params.centreSigma ** 2)) : 1;
  return size * visible ** params.borderPower * centre;
}

function area(face: Face): number {
  return face.box.width * face.box.height;
}

function bestTwo(scores: readonly number[]): { best: number; second: number } {
  let best = -1;
  let second = -1;
  scores.forEach((s, i) => {
    if (best < 0 || s > scores[best]!) {
      second = best;
      best = i;
    } else if (second < 0 || s > scores[second]!) second = i;
  });
  return { best, second };
}

/**
 * Chooses one face. Throws NO_FACE when there is none, FACE_INDEX_OUT_OF_RANGE for an index that
 * `faces` does not have.
 */
export function selectFace(
  faces: readonly Face[],
  width: number,
  height: number,
  choice: FaceChoice = PROMINENT,
  params: ProminenceParams = PROMINENCE,
): FaceSelection {
  if (faces.length === 0) throw new FaceError('NO_FACE', 'no face was found in the image');
  if (choice.rule === 'index') {
    const { index } = choice;
    if (!Number.isInteger(index) || index < 0 || index >= faces.length) {
      throw new FaceError(
        'FACE_INDEX_OUT_OF_RANGE',
        `face index ${index} does not exist: the image has ${faces.length} face${faces.length === 1 ? '' : 's'} (indices 0-${faces.length - 1}, as detect lists them)`,
      );
    }
    return { index, face: faces[index]!, faceCount: faces.length, rule: 'index', ambiguous: false, runnerUp: null };
  }
  const scores = faces.map((f) => (choice.rule === 'largest' ? area(f) : prominence(f, width, height, params)));
  const { best, second } = bestTwo(scores);
  const ambiguous = second >= 0 && scores[second]! >= AMBIGUITY_RATIO * scores[best]!;
  return {
    index: best,
    face: faces[best]!,
    faceCount: faces.length,
    rule: choice.rule,
    ambiguous,
    runnerUp: ambiguous ? second : null,
  };
}
