/**
 * Thresholds from the latest full `npm run eval -- lfw` (chosen on LFW View 1 only), used where a
 * threshold is needed without re-running View 1: the CI fold test scores View 2 fold 1 with the View 1
 * best-accuracy threshold, so no View 2 pair influences the threshold it is judged by.
 * Update these when the pipeline changes (the report's calibration table gives the new values).
 */
export const VIEW1_THRESHOLDS = {
  /** Model and face-library fingerprint the values were measured with. */
  model: 'dlib-resnet-v1',
  /** Highest accuracy on View 1 (pairsDevTrain + pairsDevTest). */
  bestAccuracy: 0.9105,
  /** View 1 equal-error point. */
  eer: 0.9083,
  /** Highest View 1 TAR with FAR <= 0.1%, rounded up to 3 decimals (the recommended service default). */
  far0001: 0.932,
} as const;
