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

/**
 * View 1 calibration (bench/gallery/calibrate.ts, 2026-12-03): a gallery of 929 DevTrain people, 929 mated
 * and 1,000 non-mated searches through the API. FPIR 1% at 0.9490 (DIR 76.5%), FPIR 0.1% at 0.9589 (DIR
 * 52.7%); the 1:1 thresholds would let 10.2% (0.932) of strangers through. Rounded: 0.949.
 */
export const IDENTIFY_THRESHOLD = 0.949;

/**
 * View 1 calibration at the threshold above: a minimum margin of 0.01 costs 0.2 points of DIR (76.5% to
 * 76.3%); 0.02 takes FPIR from 1.0% to 0.8% for 3.2 points of DIR, 0.03 costs 18 points. 0.01 keeps
 * near-ties AMBIGUOUS at almost no cost.
 */
export const MIN_MARGIN = 0.01;

export const DEFAULT_MATCH_POLICY: MatchPolicy = {
  verifyThreshold: DEFAULT_THRESHOLD,
  identifyThreshold: IDENTIFY_THRESHOLD,
  minMargin: MIN_MARGIN,
  duplicateThreshold: IDENTIFY_THRESHOLD,
};
