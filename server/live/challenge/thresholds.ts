/**
 * The challenge's thresholds. The landmark ones are derived from measurements on LFW by
 * `npm run bench:challenge-thresholds` (rules in bench/challenge-thresholds.ts, figures in README
 * "Live movement challenge"; report: reports/challenge-thresholds.md). Values below are from the run of
 * 200 LFW people, 5 still copies each, seed 12. Timing bounds live in machine.ts (DEFAULT_CHALLENGE_SETTINGS)
 * and are design bounds on human reactions, named as such.
 */
export const THRESHOLDS = {
  /** Eyes count as closed below this fraction of the baseline's openness (p0.1 of a still picture or a tilted print). */
  blinkClosedRatio: 0.75,
  /** ... and open again above this fraction (still picture p1). */
  blinkOpenRatio: 0.9,
  /** Yaw change, degrees, that counts as a turn (above tilted prints' apparent yaw p99 and 3x a still's yaw noise p99). */
  turnDegrees: 15,
  /** A turn's landmark change must be further than this from a homography (tilted prints' p99). */
  planarResidual: 0.095,
  /** Frame-to-frame shape change (interocular distances) below which input looks static (still p99). */
  staticShapeFloor: 0.0371,
  /** Baseline pose: |yaw| within this (LFW photos' p90), degrees; beyond it the user is told LOOK_STRAIGHT. */
  straightDegrees: 30,
  /** The 68 points are trusted only within this RMS distance (IOD) of the detector's five (p99 over LFW photos in their real poses). */
  landmarkAgreement: 0.13,
  /** Faces smaller than this (interocular distance, pixels; LFW photos' p1) get MOVE_CLOSER: the floors above hold at LFW's scale. */
  minInterocularPx: 30,
} as const;

export type Thresholds = { -readonly [K in keyof typeof THRESHOLDS]: number };
