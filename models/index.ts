export { FacePipeline, type CropMode, type EmbedOptions, type FaceEmbedding, type ModelInfo, type PipelineOptions } from './pipeline.js';
export { decodeImage, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './image/decode.js';
export { DEFAULT_MTCNN_OPTIONS, type MtcnnOptions } from './mtcnn/detector.js';
export { cosineSimilarity, decide, l2Normalize, type Decision } from './similarity.js';
export { DEFAULT_THRESHOLD, STRICT_THRESHOLD } from './calibration.js';
export { FaceError, isFaceError, type FaceErrorCode } from './errors.js';
export { BACKEND_REQUESTS, createEngine, parseBackendRequest, type BackendRequest, type EngineOptions } from './backend.js';
export { initBackend } from './tf.js';
export type * from './types.js';
