/** Shapes shared by the inference results: faces, boxes, landmarks, image info and stage timings. */
import type { FaceChoice, FaceSelection } from '../../models/select.js';
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
    inFrame: t.exposeFloat('inFrame', {
      description: 'Fraction of the detected face box inside the image, 0..1: below 1 the face is cut by the border (and `box` is clipped).',
    }),
  }),
});

export const FaceRuleEnum = builder.enumType('FaceRule', {
  description: 'An automatic way to choose the one face an operation uses.',
  values: {
    PROMINENT: {
      value: 'prominent',
      description:
        "The default: the photo's subject by size, closeness to the image centre and how much of it is in frame (a bystander cut by the border loses).",
    },
    LARGEST: { value: 'largest', description: 'The face with the largest box.' },
  } as const,
});

export const FaceSelectorInput = builder.inputType('FaceSelector', {
  description: 'Which face to use: exactly one of an automatic rule or an index into the face list that `detect` returned for the same image.',
  isOneOf: true,
  fields: (t) => ({
    rule: t.field({ type: FaceRuleEnum }),
    index: t.int({ description: '0-based index in `detect`\'s face list (largest first). FACE_INDEX_OUT_OF_RANGE when the image has no such face.' }),
  }),
});

/** The library's choice from a FaceSelector argument (absent: the library default, PROMINENT). */
export function faceChoice(selector: { rule?: 'prominent' | 'largest' | null; index?: number | null } | null | undefined): FaceChoice | undefined {
  if (!selector) return undefined;
  if (selector.index !== undefined && selector.index !== null) return { rule: 'index', index: selector.index };
  if (selector.rule) return { rule: selector.rule };
  return undefined;
}

export const FaceSelectionRuleEnum = builder.enumType('FaceSelectionRule', {
  description: 'How the face an answer used was chosen.',
  values: {
    PROMINENT: { value: 'prominent', description: 'The most prominent face (the default rule).' },
    LARGEST: { value: 'largest', description: 'The largest face, as asked.' },
    INDEX: { value: 'index', description: 'The face at the index the caller gave.' },
  } as const,
});

export const FaceSelectionRef = builder.objectRef<FaceSelection>('FaceSelection').implement({
  description: 'Which of the detected faces was used, and whether that was a close call.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: "Index of the face used in the detector's list (largest first, as `detect` returns it)." }),
    rule: t.field({ type: FaceSelectionRuleEnum, resolve: (s) => s.rule }),
    faceCount: t.exposeInt('faceCount', { description: 'How many faces were found.' }),
    ambiguous: t.exposeBoolean('ambiguous', {
      description:
        'Another face was nearly as good a choice under the rule: show the user which face was used and let them pick (FaceSelector.index). Never true for an explicit index.',
    }),
    runnerUpIndex: t.int({ nullable: true, description: 'The other candidate when `ambiguous`, else null.', resolve: (s) => s.runnerUp }),
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
