/**
 * Default match policy of a new gallery, for dlib-resnet-v1 embeddings (cosine similarity).
 *
 * - 1:1 (`verifyFace`): the service's verification threshold (models/calibration.ts, best accuracy on
 *   LFW View 1), compared with the subject's best template.
 * - 1:N (`identifyFace`): a search compares the probe with every subject, so its false-positive rate
 *   grows with the gallery; the threshold is calibrated for a false-positive identification rate (FPIR:
 *   the share of searches by someone not enrolled that return a candidate) on LFW View 1 by
 *   `npm run calibrate:gallery` (bench/gallery/calibrate.ts), and is stricter than the 1:1 one.
 * - The margin: a MATCH also needs the best subject to beat the second by MIN_MARGIN; otherwise the
 *   answer is AMBIGUOUS (two enrolled people both look like the probe), never a guess between them.
 * - Duplicates: an enrollment whose face already matches another subject at the identification
 *   threshold is refused (DUPLICATE_IDENTITY).
 */
import { DEFAULT_THRESHOLD } from '../../models/index.js';
import type { MatchPolicy } from './types.js';

/** The FPIR the identification threshold is calibrated for. */
export const IDENTIFY_TARGET_FPIR = 0.01;

/** View 1 calibration (bench/gallery/calibrate.ts): threshold at FPIR <= 1% for the View 1 gallery. */
export const IDENTIFY_THRESHOLD = 0.932;

/** View 1 calibration: smallest margin between the best two subjects of a MATCH. */
export const MIN_MARGIN = 0.01;

export const DEFAULT_MATCH_POLICY: MatchPolicy = {
  verifyThreshold: DEFAULT_THRESHOLD,
  identifyThreshold: IDENTIFY_THRESHOLD,
  minMargin: MIN_MARGIN,
  duplicateThreshold: IDENTIFY_THRESHOLD,
};
