/**
 * The service's default decision threshold on cosine similarity for dlib-resnet-v1 embeddings after our
 * MTCNN alignment. Chosen on LFW View 1 only (pairsDevTrain + pairsDevTest); never on View 2.
 * How: `npm run eval -- lfw` (threshold calibration section of the report).
 */
export const DEFAULT_THRESHOLD = 0.9;
