/** Shapes shared by the inference results: faces, boxes, landmarks, image info and stage timings. */
import type { Box, Face, ImageInfo, Landmarks, Point } from '../../models/types.js';
import { builder, type Context, type Upload } from '../builder.js';
import { ServiceError, tagArgument, toGraphQLError } from '../errors.js';
import type { StageTimings } from '../inference/service.js';

/** Durations are reported to 0.01 ms; more digits are noise. */
export const ms = (value: number): number => Math.round(value * 100) / 100;

export const PointRef = builder.objectRef<Point>('Point').implement({
  description: 'A point in original-image pixels (origin top-left, x to the right, y down).',
  fields: (t) => ({
    x: t.exposeFloat('x'),
    y: t.exposeFloat('y'),
  }),
});

export const BoxRef = builder.objectRef<Box>('Box').implement({
  description: 'An axis-aligned face box in original-image pixels.',
  fields: (t) => ({
    x: t.exposeFloat('x', { description: 'Left edge.' }),
    y: t.exposeFloat('y', { description: 'Top edge.' }),
    width: t.exposeFloat('width'),
    height: t.exposeFloat('height'),
  }),
});

export const LandmarksRef = builder.objectRef<Landmarks>('Landmarks').implement({
  description:
    "MTCNN's five landmarks. Left and right are the IMAGE's left and right (as the viewer sees the photo), not the subject's: leftEye.x < rightEye.x for an upright frontal face.",
  fields: (t) => ({
    leftEye: t.expose('leftEye', { type: PointRef }),
    rightEye: t.expose('rightEye', { type: PointRef }),
    nose: t.expose('nose', { type: PointRef }),
    mouthLeft: t.expose('mouthLeft', { type: PointRef }),
    mouthRight: t.expose('mouthRight', { type: PointRef }),
  }),
});

export const FaceRef = builder.objectRef<Face>('Face').implement({
  description: 'A detected face.',
  fields: (t) => ({
    box: t.expose('box', { type: BoxRef }),
    score: t.exposeFloat('score', { description: 'Detector (O-Net) face probability, 0..1.' }),
    landmarks: t.expose('landmarks', { type: LandmarksRef }),
  }),
});

export const ImageInfoRef = builder.objectRef<ImageInfo>('ImageInfo').implement({
  description: 'The uploaded image as decoded (after EXIF orientation).',
  fields: (t) => ({
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    format: t.exposeString('format', { description: 'Container format: jpeg, png, webp, gif, ...' }),
  }),
});

export const StageTimingsRef = builder.objectRef<StageTimings>('StageTimings').implement({
  description: 'Milliseconds spent per stage on one image. Stages that did not run are null.',
  fields: (t) => ({
    decodeMs: t.float({ description: 'Decoding the upload (main thread, libuv pool).', resolve: (s) => ms(s.decodeMs) }),
    queueMs: t.float({ description: 'Waiting for a free inference worker.', resolve: (s) => ms(s.queueMs) }),
    detectMs: t.float({ description: 'MTCNN detection.', resolve: (s) => ms(s.detectMs) }),
    alignMs: t.float({ nullable: true, description: 'Landmark alignment.', resolve: (s) => (s.alignMs === undefined ? null : ms(s.alignMs)) }),
    embedMs: t.float({ nullable: true, description: 'Embedding network.', resolve: (s) => (s.embedMs === undefined ? null : ms(s.embedMs)) }),
    totalMs: t.float({ description: 'From the start of decoding to the result.', resolve: (s) => ms(s.totalMs) }),
  }),
});

/** Reads an upload, enforcing the per-file size limit before touching its bytes. */
export async function readUpload(file: Upload, argument: string, ctx: Context): Promise<Uint8Array> {
  const max = ctx.deps.config.limits.maxUploadBytes;
  if (file.size > max) {
    throw tagArgument(new ServiceError('IMAGE_TOO_LARGE', `The upload is ${file.size} bytes, over the limit of ${max} bytes`), argument);
  }
  return new Uint8Array(await file.arrayBuffer());
}

/** Runs a resolver body and turns known failures into coded GraphQL errors (the rest is masked). */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toGraphQLError(error);
  }
}
