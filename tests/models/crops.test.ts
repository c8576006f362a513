import { describe, expect, it } from 'vitest';
import { mtcnnCrops } from '../../models/mtcnn/crops.js';
import type { RgbImage } from '../../models/types.js';

const norm = (v: number) => (v - 127.5) * 0.0078125;

function image(width: number, height: number, f: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(f(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

describe('mtcnnCrops', () => {
  it('area-averages a shrinking box: a 2x2 checker of 4x4 blocks becomes its block means', () => {
    const img = image(8, 8, (x, y) => ((x >> 2) + (y >> 2)) % 2 ? 200 : 40);
    const out = mtcnnCrops(img, [{ x1: 0, y1: 0, x2: 8, y2: 8, score: 1 }], 2);
    // transposed layout: index (x * size + y) * 3
    expect(out[(0 * 2 + 0) * 3]).toBeCloseTo(norm(40), 6);
    expect(out[(1 * 2 + 0) * 3]).toBeCloseTo(norm(200), 6); // x = 1, y = 0
    expect(out[(0 * 2 + 1) * 3]).toBeCloseTo(norm(200), 6);
    expect(out[(1 * 2 + 1) * 3]).toBeCloseTo(norm(40), 6);
  });

  it('is transposed: a horizontal gradient varies along the first spatial axis', () => {
    const img = image(48, 48, (x) => x * 5);
    const out = mtcnnCrops(img, [{ x1: 0, y1: 0, x2: 48, y2: 48, score: 1 }], 24);
    const at = (x: number, y: number) => out[(x * 24 + y) * 3]!;
    expect(at(0, 10)).toBeCloseTo(at(0, 20), 6);
    expect(at(20, 10)).toBeGreaterThan(at(2, 10));
  });

  it('reads outside the image as zero (black) and samples bilinearly when the box grows', () => {
    const img = image(10, 10, () => 255);
    const out = mtcnnCrops(img, [{ x1: -10, y1: 0, x2: 10, y2: 20, score: 1 }], 40);
    expect(out[(0 * 40 + 5) * 3]).toBeCloseTo(norm(0), 6); // far left: outside
    expect(out[(35 * 40 + 5) * 3]).toBeCloseTo(norm(255), 6); // right half, top: inside
    expect(out).toHaveLength(40 * 40 * 3);
  });
});
