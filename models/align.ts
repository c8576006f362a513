/**
 * Five-point face alignment: a least-squares similarity transform (scale, rotation, translation; no
 * reflection: Umeyama 1991 restricted to 2-D) from landmarks to a template, and a bilinear warp.
 * Tensor-free, on plain arrays.
 */
import type { Landmarks, Point, RgbImage } from './types.js';

/** x' = a*x - b*y + tx ; y' = b*x + a*y + ty  (scale = hypot(a, b), angle = atan2(b, a)). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

export function landmarkPoints(l: Landmarks): Point[] {
  return [l.leftEye, l.rightEye, l.nose, l.mouthLeft, l.mouthRight];
}

/** Least-squares similarity mapping `from[i]` onto `to[i]`. */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) throw new Error('fitSimilarity needs two equal lists of >= 2 points');
  const n = from.length;
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i]!.x; fy += from[i]!.y; tx += to[i]!.x; ty += to[i]!.y;
  }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const sx = from[i]!.x - fx, sy = from[i]!.y - fy;
    const dx = to[i]!.x - tx, dy = to[i]!.y - ty;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
    norm += sx * sx + sy * sy;
  }
  if (norm === 0) throw new Error('fitSimilarity: source points coincide');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/**
 * Renders a size x size RGB chip: chip pixel (u, v) shows the image at chipToImage(u, v), bilinearly
 * interpolated; outside the image reads as black. When the chip is much smaller than the face, each
 * chip pixel averages k x k sub-samples so downscaling does not alias.
 */
export function warpToChip(image: RgbImage, chipToImage: Similarity, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const { width, height, data } = image;
  const scale = Math.hypot(chipToImage.a, chipToImage.b);
  const k = Math.max(1, Math.min(8, Math.round(scale)));
  const acc = [0, 0, 0];
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sv = 0; sv < k; sv++) {
        for (let su = 0; su < k; su++) {
          const cu = u + (su + 0.5) / k - 0.5;
          const cv = v + (sv + 0.5) / k - 0.5;
          const x = chipToImage.a * cu - chipToImage.b * cv + chipToImage.tx;
          const y = chipToImage.b * cu + chipToImage.a * cv + chipToImage.ty;
          sampleBilinear(data, width, height, x, y, acc);
        }
      }
      const o = (v * size + u) * 3;
      const n = k * k;
      out[o] = Math.round(acc[0]! / n);
      out[o + 1] = Math.round(acc[1]! / n);
      out[o + 2] = Math.round(acc[2]! / n);
    }
  }
  return out;
}

function sampleBilinear(data: Uint8Array, width: number, height: number, x: number, y: number, acc: number[]): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  for (let c = 0; c < 3; c++) {
    const p00 = pixel(data, width, height, x0, y0, c);
    const p10 = pixel(data, width, height, x0 + 1, y0, c);
    const p01 = pixel(data, width, height, x0, y0 + 1, c);
    const p11 = pixel(data, width, height, x0 + 1, y0 + 1, c);
    acc[c]! += (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
  }
}

function pixel(data: Uint8Array, width: number, height: number, x: number, y: number, c: number): number {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  return data[(y * width + x) * 3 + c]!;
}

/** The transform that places a face's landmarks on a template, as chip -> image for warpToChip. */
export function alignmentTransform(landmarks: Landmarks, template: readonly Point[]): Similarity {
  return invertSimilarity(fitSimilarity(landmarkPoints(landmarks), template));
}

/** Axis-aligned crop of a square region (no rotation) resized to size x size: the ablation baselines. */
export function cropSquare(image: RgbImage, cx: number, cy: number, side: number, size: number): Uint8Array {
  const s = side / size;
  return warpToChip(image, { a: s, b: 0, tx: cx - side / 2 + s / 2 - 0.5, ty: cy - side / 2 + s / 2 - 0.5 }, size);
}

/** Mirrors a size x size RGB chip left to right. */
export function mirrorChip(chip: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(chip.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (y * size + x) * 3;
      const to = (y * size + size - 1 - x) * 3;
      out[to] = chip[from]!;
      out[to + 1] = chip[from + 1]!;
      out[to + 2] = chip[from + 2]!;
    }
  }
  return out;
}
