import { describe, expect, it } from 'vitest';
import { nonMaxSuppression, overlap, regressBox, squareBox, type Candidate } from '../../models/mtcnn/boxes.js';
import { pyramidScales } from '../../models/mtcnn/detector.js';

const box = (x1: number, y1: number, x2: number, y2: number, score = 1): Candidate => ({ x1, y1, x2, y2, score });

describe('overlap', () => {
  it('computes intersection over union and over the smaller box', () => {
    const a = box(0, 0, 10, 10);
    const b = box(5, 0, 15, 10);
    expect(overlap(a, b, 'union')).toBeCloseTo(50 / 150, 12);
    expect(overlap(a, b, 'min')).toBeCloseTo(0.5, 12);
    const inner = box(2, 2, 4, 4);
    expect(overlap(a, inner, 'union')).toBeCloseTo(4 / 100, 12);
    expect(overlap(a, inner, 'min')).toBe(1);
    expect(overlap(a, box(20, 20, 30, 30), 'union')).toBe(0);
  });
});

describe('nonMaxSuppression', () => {
  it('keeps the best of each overlapping group, highest score first', () => {
    const boxes = [
      box(0, 0, 10, 10, 0.8),
      box(1, 1, 11, 11, 0.9), // overlaps box 0 with IoU 81/119 = 0.68
      box(50, 50, 60, 60, 0.7),
      box(52, 50, 62, 60, 0.95), // IoU with box 2: 80/120 = 0.67
    ];
    expect(nonMaxSuppression(boxes, 0.5, 'union')).toEqual([3, 1]);
    expect(nonMaxSuppression(boxes, 0.7, 'union')).toEqual([3, 1, 0, 2]);
  });

  it("'min' mode suppresses a box nested inside a better one even when IoU is small", () => {
    const boxes = [box(0, 0, 100, 100, 0.99), box(40, 40, 60, 60, 0.9)];
    expect(nonMaxSuppression(boxes, 0.7, 'union')).toEqual([0, 1]);
    expect(nonMaxSuppression(boxes, 0.7, 'min')).toEqual([0]);
  });

  it('returns nothing for nothing', () => {
    expect(nonMaxSuppression([], 0.5, 'union')).toEqual([]);
  });
});

describe('box regression and squaring', () => {
  it('moves each edge by its offset times the box size', () => {
    const r = regressBox(box(10, 20, 30, 60, 0.5), [0.1, -0.25, -0.5, 0.5]);
    expect(r).toEqual({ x1: 12, y1: 10, x2: 20, y2: 80, score: 0.5 });
  });

  it('squares around the centre using the longer side', () => {
    expect(squareBox(box(10, 20, 30, 60))).toEqual({ x1: 0, y1: 20, x2: 40, y2: 60, score: 1 });
    expect(squareBox(box(0, 0, 40, 10))).toEqual({ x1: 0, y1: -15, x2: 40, y2: 25, score: 1 });
  });
});

describe('pyramidScales', () => {
  it('starts at 12/minFaceSize and stops before the short side drops under 12 px', () => {
    const scales = pyramidScales(250, 250, 20, 0.709);
    expect(scales[0]).toBeCloseTo(0.6, 12);
    expect(scales[1]).toBeCloseTo(0.6 * 0.709, 12);
    expect(250 * scales.at(-1)!).toBeGreaterThanOrEqual(12);
    expect(250 * scales.at(-1)! * 0.709).toBeLessThan(12);
    expect(scales).toHaveLength(8);
  });
});
