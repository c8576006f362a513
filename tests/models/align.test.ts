import { describe, expect, it } from 'vitest';
import { alignmentTransform, applySimilarity, cropSquare, fitSimilarity, invertSimilarity, warpToChip } from '../../models/align.js';
import type { Point, RgbImage } from '../../models/types.js';

const template: Point[] = [
  { x: 47.5, y: 46.6 },
  { x: 100.5, y: 46.6 },
  { x: 74, y: 76.6 },
  { x: 50.4, y: 103 },
  { x: 97.6, y: 103 },
];

function transformOf(scale: number, degrees: number, tx: number, ty: number) {
  const r = (degrees * Math.PI) / 180;
  return { a: scale * Math.cos(r), b: scale * Math.sin(r), tx, ty };
}

describe('fitSimilarity', () => {
  it('recovers a known scale, rotation and translation exactly from five points', () => {
    const truth = transformOf(1.7, 23, -12.5, 40.25);
    const moved = template.map((p) => applySimilarity(truth, p));
    const fit = fitSimilarity(template, moved);
    expect(fit.a).toBeCloseTo(truth.a, 9);
    expect(fit.b).toBeCloseTo(truth.b, 9);
    expect(fit.tx).toBeCloseTo(truth.tx, 9);
    expect(fit.ty).toBeCloseTo(truth.ty, 9);
  });

  it('is the least-squares fit under noise: residuals average out and the fit is near the truth', () => {
    const truth = transformOf(0.6, -35, 80, 5);
    const noise = [[0.4, -0.3], [-0.2, 0.5], [0.1, 0.2], [-0.5, -0.1], [0.2, -0.3]];
    const moved = template.map((p, i) => {
      const q = applySimilarity(truth, p);
      return { x: q.x + noise[i]![0]!, y: q.y + noise[i]![1]! };
    });
    const fit = fitSimilarity(template, moved);
    expect(Math.abs(Math.hypot(fit.a, fit.b) - 0.6)).toBeLessThan(0.01);
    expect((Math.atan2(fit.b, fit.a) * 180) / Math.PI).toBeCloseTo(-35, 0);
    // Least squares: the residuals of a similarity fit with translation sum to zero.
    const residual = template.map((p, i) => {
      const q = applySimilarity(fit, p);
      return { x: moved[i]!.x - q.x, y: moved[i]!.y - q.y };
    });
    expect(residual.reduce((s, r) => s + r.x, 0)).toBeCloseTo(0, 9);
    expect(residual.reduce((s, r) => s + r.y, 0)).toBeCloseTo(0, 9);
  });

  it('never reflects: mirrored points give a rotation, not a flip', () => {
    const mirrored = template.map((p) => ({ x: -p.x, y: p.y }));
    const fit = fitSimilarity(template, mirrored);
    const det = fit.a * fit.a + fit.b * fit.b;
    expect(det).toBeGreaterThan(0);
  });

  it('inverts: composing a transform with its inverse is the identity', () => {
    const t = transformOf(2.5, 70, 3, -9);
    const back = invertSimilarity(t);
    for (const p of template) {
      const q = applySimilarity(back, applySimilarity(t, p));
      expect(q.x).toBeCloseTo(p.x, 9);
      expect(q.y).toBeCloseTo(p.y, 9);
    }
  });
});

function gradientImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = x % 256;
      data[o + 1] = y % 256;
      data[o + 2] = 77;
    }
  }
  return { width, height, data };
}

describe('warpToChip', () => {
  it('samples the image where the transform says: identity copies, translation shifts', () => {
    const image = gradientImage(64, 48);
    const same = warpToChip(image, { a: 1, b: 0, tx: 0, ty: 0 }, 32);
    expect(same[(10 * 32 + 20) * 3]).toBe(20);
    expect(same[(10 * 32 + 20) * 3 + 1]).toBe(10);
    const shifted = warpToChip(image, { a: 1, b: 0, tx: 5.5, ty: 3 }, 32);
    expect(shifted[(10 * 32 + 20) * 3]).toBe(26); // 25.5, rounded
    expect(shifted[(10 * 32 + 20) * 3 + 1]).toBe(13);
  });

  it('maps landmarks onto the template: a face drawn at a known pose lands where the template says', () => {
    const truth = transformOf(1.4, 15, 30, 20);
    const landmarks = template.map((p) => applySimilarity(truth, p));
    const [leftEye, rightEye, nose, mouthLeft, mouthRight] = landmarks as [Point, Point, Point, Point, Point];
    const chipToImage = alignmentTransform({ leftEye, rightEye, nose, mouthLeft, mouthRight }, template);
    for (let i = 0; i < 5; i++) {
      const q = applySimilarity(chipToImage, template[i]!);
      expect(q.x).toBeCloseTo(landmarks[i]!.x, 6);
      expect(q.y).toBeCloseTo(landmarks[i]!.y, 6);
    }
  });

  it('reads outside the image as black and averages when shrinking', () => {
    const image = gradientImage(16, 16);
    const outside = warpToChip(image, { a: 1, b: 0, tx: 100, ty: 100 }, 4);
    expect([...outside].every((v) => v === 0)).toBe(true);
    const checker: RgbImage = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) };
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) checker.data.fill((x + y) % 2 ? 255 : 0, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const small = cropSquare(checker, 4, 4, 8, 2);
    for (const v of small) expect(v).toBeGreaterThan(100);
    for (const v of small) expect(v).toBeLessThan(155);
  });
});
