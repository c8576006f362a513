/**
 * The challenge's thresholds. The landmark ones are derived from measurements on LFW by
 * `npm run bench:challenge-thresholds` (rules in bench/challenge-thresholds.ts, figures in README
 * "Live challenge"); the timing ones are design bounds on human reactions, named as such.
 */
export const THRESHOLDS = {
  /** Eyes count as closed below this fraction of the baseline's openness (still picture p0.1). */
  blinkClosedRatio: 0.9,
  /** ... and open again above this fraction (still picture p1). */
  blinkOpenRatio: 0.9,
  /** Yaw change, degrees, that counts as a turn (above tilted prints' apparent yaw and 3x still noise). */
  turnDegrees: 25,
  /** A turn's landmark change must be further than this from a homography (tilted prints' p99.9). */
  planarResidual: 0.065,
  /** Frame-to-frame shape change (interocular distances) below which input looks static (still p99). */
  staticShapeFloor: 0.056,
  /** Baseline pose: |yaw| within this (LFW photos' p95), degrees; beyond it the user is told LOOK_STRAIGHT. */
  straightDegrees: 20,
  /** The 68 points are trusted only within this RMS distance (IOD) of the detector's five (p99 over LFW photos in their real poses). */
  landmarkAgreement: 0.15,
  /** Faces smaller than this (interocular distance, pixels; LFW's p5) get MOVE_CLOSER: the floors above hold at LFW's scale. */
  minInterocularPx: 30,
} as const;

export type Thresholds = { -readonly [K in keyof typeof THRESHOLDS]: number };
