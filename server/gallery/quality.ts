/**
 * The enrollment quality gate: what a template is worth is decided at enrollment, once. Measures, for the
 * face the inference service chose: its size, the detector's score, sharpness, and head yaw and pitch
 * estimated from the five landmarks. A gallery's QualityPolicy sets the limits; every failed check is
 * reported with its value and limit, not just a refusal.
 */
import sharp from 'sharp';
import type { Face, Point } from '../../models/types.js';
import type { QualityFigures, QualityPolicy } from './types.js';

export type QualityCheck = 'FACE_SIZE' | 'DETECTOR_SCORE' | 'SHARPNESS' | 'YAW' | 'PITCH';

export interface QualityIssue {
  check: QualityCheck;
  value: number;
  limit: number;
}

/** Side of the grey square the sharpness is measured on: the same scale for every face size. */
export const SHARPNESS_CROP = 112;

/**
 * Nose height between the eye line (0) and the mouth line (1) of a frontal MTCNN face (0.52: the median
 * over 100 LFW images), and the ratio of eye-to-mouth distance to nose depth of an average adult face.
 */
const FRONTAL_NOSE_HEIGHT = 0.52;
const EYE_MOUTH_OVER_NOSE_DEPTH = 2.3;
/** Nose depth over half the eye distance. */
const NOSE_DEPTH_OVER_HALF_EYES = 1.0;

const degrees = (radians: number): number => (radians * 180) / Math.PI;

/**
 * Yaw and pitch from five points, by a weak-perspective model of an average face: the eyes and mouth
 * lie in one plane and the nose tip stands out of it by about half the eye distance. With the roll taken
 * out (eye line horizontal), a yaw turns the nose sideways by depth * sin(yaw) while the eye distance
 * shrinks by cos(yaw), so yaw = atan(offset / half eye distance / depth ratio); pitch moves the nose up or
 * down between the eye and mouth lines the same way. Rough (a few degrees near frontal, worse past 40),
 * which is what a gate needs. Positive yaw: the nose points to the image's right; positive pitch: down.
 */
export function headPose(landmarks: Face['landmarks']): { yaw: number; pitch: number } {
  const { leftEye, rightEye, nose, mouthLeft, mouthRight } = landmarks;
  const roll = Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x);
  const cos = Math.cos(-roll);
  const sin = Math.sin(-roll);
  const rotate = (p: Point): Point => ({ x: p.x * cos - p.y * sin, y: p.x * sin + p.y * cos });
  const [le, re, n, ml, mr] = [leftEye, rightEye, nose, mouthLeft, mouthRight].map(rotate) as [Point, Point, Point, Point, Point];
  const eyeMid = { x: (le.x + re.x) / 2, y: (le.y + re.y) / 2 };
  const mouthMid = { x: (ml.x + mr.x) / 2, y: (ml.y + mr.y) / 2 };
  const halfEyes = Math.max(1e-6, (re.x - le.x) / 2);
  const midlineX = (eyeMid.x + mouthMid.x) / 2;
  const yaw = degrees(Math.atan((n.x - midlineX) / halfEyes / NOSE_DEPTH_OVER_HALF_EYES));
  const eyeToMouth = Math.max(1e-6, mouthMid.y - eyeMid.y);
  const height = (n.y - eyeMid.y) / eyeToMouth;
  const pitch = degrees(Math.atan((height - FRONTAL_NOSE_HEIGHT) * EYE_MOUTH_OVER_NOSE_DEPTH));
  return { yaw, pitch };
}

/**
 * Variance of the 4-neighbour Laplacian over a grey square of the face box, resized to SHARPNESS_CROP:
 * blur and heavy compression lower it. Decodes the upload again in the main thread (sharp, libuv pool),
 * with the same EXIF orientation as the inference path, so the box lands on the same pixels.
 */
export async function sharpness(bytes: Uint8Array, face: Face, image: { width: number; height: number }): Promise<number> {
  const left = Math.max(0, Math.floor(face.box.x));
  const top = Math.max(0, Math.floor(face.box.y));
  const width = Math.min(image.width - left, Math.ceil(face.box.width));
  const height = Math.min(image.height - top, Math.ceil(face.box.height));
  if (width < 3 || height < 3) return 0;
  const size = SHARPNESS_CROP;
  const grey = await sharp(bytes, { failOn: 'none' })
    .rotate()
    .extract({ left, top, width, height })
    .resize(size, size, { fit: 'fill', kernel: 'cubic' })
    .greyscale()
    .raw()
    .toBuffer();
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const i = y * size + x;
      const lap = grey[i - size]! + grey[i + size]! + grey[i - 1]! + grey[i + 1]! - 4 * grey[i]!;
      sum += lap;
      sumSq += lap * lap;
      count++;
    }
  }
  const mean = sum / count;
  return sumSq / count - mean * mean;
}

export async function measureQuality(bytes: Uint8Array, face: Face, image: { width: number; height: number }): Promise<QualityFigures> {
  const { yaw, pitch } = headPose(face.landmarks);
  return {
    faceSize: Math.min(face.box.width, face.box.height),
    detectorScore: face.score,
    sharpness: await sharpness(bytes, face, image),
    yaw,
    pitch,
  };
}

/** Every check the figures fail under the policy (empty: the face may be enrolled). */
export function qualityIssues(q: QualityFigures, policy: QualityPolicy): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (q.faceSize < policy.minFaceSize) issues.push({ check: 'FACE_SIZE', value: q.faceSize, limit: policy.minFaceSize });
  if (q.detectorScore < policy.minDetectorScore) issues.push({ check: 'DETECTOR_SCORE', value: q.detectorScore, limit: policy.minDetectorScore });
  if (q.sharpness < policy.minSharpness) issues.push({ check: 'SHARPNESS', value: q.sharpness, limit: policy.minSharpness });
  if (Math.abs(q.yaw) > policy.maxYaw) issues.push({ check: 'YAW', value: q.yaw, limit: policy.maxYaw });
  if (Math.abs(q.pitch) > policy.maxPitch) issues.push({ check: 'PITCH', value: q.pitch, limit: policy.maxPitch });
  return issues;
}
