/**
 * What the challenge reads from a face's 68 landmarks (iBUG 300-W order; image coordinates, so "left"
 * below is the image's left unless a name says "subject"). Pure functions: no models, no clock.
 */
import type { Landmarks, Point } from '../../../models/types.js';

export const LANDMARK_COUNT = 68;

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function mean(points: readonly Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += points[i]!.x;
    y += points[i]!.y;
  }
  const n = to - from + 1;
  return { x: x / n, y: y / n };
}

/** Centres of the two eyes (image-left eye first). */
export function eyeCentres(points: readonly Point[]): [Point, Point] {
  return [mean(points, 36, 41), mean(points, 42, 47)];
}

/** Distance between the eye centres, pixels: the scale every other measure is normalised by. */
export function interocular(points: readonly Point[]): number {
  const [l, r] = eyeCentres(points);
  return dist(l, r);
}

/** Soukupova and Cech's eye aspect ratio of one eye (six points p1..p6): (|p2-p6| + |p3-p5|) / 2|p1-p4|. */
function eyeAspect(points: readonly Point[], first: number): number {
  const p = (k: number) => points[first + k]!;
  const width = dist(p(0), p(3));
  if (width === 0) return 0;
  return (dist(p(1), p(5)) + dist(p(2), p(4))) / (2 * width);
}

/** Mean eye aspect ratio of both eyes: about 0.3 open, falling towards 0 as the lids close. */
export function eyeAspectRatio(points: readonly Point[]): number {
  return (eyeAspect(points, 36) + eyeAspect(points, 42)) / 2;
}

/** Vertical extent of the face: eye line to mouth centre, in interocular distances. */
function faceHeight(points: readonly Point[]): number {
  const [l, r] = eyeCentres(points);
  const mouth = mean(points, 48, 67);
  return dist({ x: (l.x + r.x) / 2, y: (l.y + r.y) / 2 }, mouth) / (dist(l, r) || 1);
}

/**
 * How open the eyes are now relative to a baseline frame: the EAR ratio divided by the ratio of the
 * face's eye-to-mouth height. A photo tilted forward flattens the eyes and the whole face by the same
 * factor, which cancels here; closing the lids changes only the eyes.
 */
export function eyeOpenness(baseline: readonly Point[], current: readonly Point[]): number {
  const earRatio = eyeAspectRatio(current) / (eyeAspectRatio(baseline) || 1);
  return earRatio / (faceHeight(current) / (faceHeight(baseline) || 1));
}

/**
 * Head yaw in degrees, positive when the subject turns to THEIR left (the nose moves to the image's right
 * in an unmirrored camera frame). Cylinder model: the nose tip (30) sits on the face's midline, the jaw
 * points 0/16 and 1/15 on its silhouette; with d the nose-to-silhouette distances along the eye axis,
 * (d_left - d_right) / (d_left + d_right) = sin(yaw). Roll is removed by measuring along the eye axis.
 */
export function yawDegrees(points: readonly Point[]): number {
  const [le, re] = eyeCentres(points);
  const axisLength = dist(le, re) || 1;
  const ux = (re.x - le.x) / axisLength;
  const uy = (re.y - le.y) / axisLength;
  const along = (p: Point) => p.x * ux + p.y * uy;
  const nose = along(points[30]!);
  const left = (along(points[0]!) + along(points[1]!)) / 2;
  const right = (along(points[16]!) + along(points[15]!)) / 2;
  const dl = Math.max(0, nose - left);
  const dr = Math.max(0, right - nose);
  if (dl + dr === 0) return 0;
  const s = Math.max(-1, Math.min(1, (dl - dr) / (dl + dr)));
  return (Math.asin(s) * 180) / Math.PI;
}

/**
 * Shape change between two landmark sets once position, scale and in-plane rotation are taken out
 * (least-squares similarity fit of b onto a): RMS residual over the points, in interocular distances of a.
 * A still photo moved, scaled or re-encoded changes little; a living face changes its shape.
 */
export function shapeChange(a: readonly Point[], b: readonly Point[]): number {
  const n = a.length;
  const ca = mean(a, 0, n - 1);
  const cb = mean(b, 0, n - 1);
  let sxx = 0;
  let sxy = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const ax = a[i]!.x - ca.x;
    const ay = a[i]!.y - ca.y;
    const bx = b[i]!.x - cb.x;
    const by = b[i]!.y - cb.y;
    sxx += bx * ax + by * ay;
    sxy += bx * ay - by * ax;
    norm += bx * bx + by * by;
  }
  const sa = norm === 0 ? 0 : sxx / norm;
  const sb = norm === 0 ? 0 : sxy / norm;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const bx = b[i]!.x - cb.x;
    const by = b[i]!.y - cb.y;
    const x = sa * bx - sb * by + ca.x;
    const y = sb * bx + sa * by + ca.y;
    sum += (x - a[i]!.x) ** 2 + (y - a[i]!.y) ** 2;
  }
  return Math.sqrt(sum / n) / (interocular(a) || 1);
}

/** Solves the n x n system m x = v in place (Gaussian elimination with partial pivoting); null when singular. */
function solve(m: number[][], v: number[]): number[] | null {
  const n = v.length;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    if (Math.abs(m[pivot]![c]!) < 1e-12) return null;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    [v[c], v[pivot]] = [v[pivot]!, v[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < n; k++) m[r]![k]! -= f * m[c]![k]!;
      v[r]! -= f * v[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = v[r]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * How far two landmark sets are from being views of one flat picture: fits the plane-to-plane
 * homography from a to b (linear least squares on points normalised by a's centre and interocular
 * distance) and returns the RMS residual in interocular distances. A photo or a screen tilted in front of
 * the camera is a homography of itself (residual near the landmark net's noise); a head that turns is not
 * (the nose moves against the cheeks and the silhouette).
 */
export function planarResidual(a: readonly Point[], b: readonly Point[]): number {
  const n = a.length;
  const ca = mean(a, 0, n - 1);
  const sa = interocular(a) || 1;
  const cb = mean(b, 0, n - 1);
  const sb = interocular(b) || 1;
  const pa = a.map((p) => ({ x: (p.x - ca.x) / sa, y: (p.y - ca.y) / sa }));
  const pb = b.map((p) => ({ x: (p.x - cb.x) / sb, y: (p.y - cb.y) / sb }));
  // h = [h0..h7], h8 = 1: x' = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), y' likewise with h3..h5.
  const ata = Array.from({ length: 8 }, () => new Array<number>(8).fill(0));
  const atb = new Array<number>(8).fill(0);
  const add = (row: number[], rhs: number) => {
    for (let i = 0; i < 8; i++) {
      atb[i]! += row[i]! * rhs;
      for (let j = 0; j < 8; j++) ata[i]![j]! += row[i]! * row[j]!;
    }
  };
  for (let i = 0; i < n; i++) {
    const { x, y } = pa[i]!;
    const { x: u, y: v } = pb[i]!;
    add([x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    add([0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  const h = solve(ata, atb);
  if (!h) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const { x, y } = pa[i]!;
    const w = h[6]! * x + h[7]! * y + 1;
    const u = (h[0]! * x + h[1]! * y + h[2]!) / w;
    const v = (h[3]! * x + h[4]! * y + h[5]!) / w;
    sum += (u - pb[i]!.x) ** 2 + (v - pb[i]!.y) ** 2;
  }
  // residual is in b's interocular units; report it in b's scale too (the ratio is what matters)
  return Math.sqrt(sum / n);
}

/**
 * How far the 68-point net's eyes, nose tip and mouth corners are from the detector's five landmarks,
 * RMS in interocular distances. Two independent models that disagree mean the 68 points are not to be
 * trusted for this frame (the net fails on extreme views and misplaced crops).
 */
export function landmarkAgreement(points: readonly Point[], five: Landmarks): number {
  const [le, re] = eyeCentres(points);
  const pairs: Array<[Point, Point]> = [
    [le, five.leftEye],
    [re, five.rightEye],
    [points[30]!, five.nose],
    [points[48]!, five.mouthLeft],
    [points[54]!, five.mouthRight],
  ];
  const sum = pairs.reduce((s, [a, b]) => s + (a.x - b.x) ** 2 + (a.y - b.y) ** 2, 0);
  return Math.sqrt(sum / pairs.length) / (dist(five.leftEye, five.rightEye) || 1);
}
