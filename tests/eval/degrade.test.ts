import { describe, expect, it } from 'vitest';
import {
  clipRect,
  coveredFraction,
  defaultFaceBox,
  degrade,
  DEGRADATIONS,
  estimateYaw,
  fillRect,
  gaussianBlur,
  hashSeed,
  lowerFaceBlock,
  lowLight,
  lowResolution,
  poseBin,
  randomBlock,
  resizeArea,
  rng,
  YAW_WIDTH_TO_DEPTH,
  type DegradationName,
  type FiveLandmarks,
  type Rgb,
} from '../../bench/lfw/degrade.js';

function solid(width: number, height: number, v: number): Rgb {
  return { width, height, data: new Uint8Array(width * height * 3).fill(v) };
}

function checker(width: number, height: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill((x + y) % 2 ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

function mean(img: Rgb): number {
  let s = 0;
  for (const v of img.data) s += v;
  return s / img.data.length;
}

function variance(img: Rgb): number {
  const m = mean(img);
  let s = 0;
  for (const v of img.data) s += (v - m) ** 2;
  return s / img.data.length;
}

const box = { x: 50, y: 60, width: 100, height: 120 };

describe('occlusion masks', () => {
  it('lower-face block covers the bottom fraction of the box', () => {
    const r = lowerFaceBlock(box, 0.3);
    expect(r).toEqual({ x: 50, y: 60 + 120 * 0.7, width: 100, height: expect.closeTo(36, 9) });
    expect(coveredFraction(box, r)).toBeCloseTo(0.3, 9);
    expect(coveredFraction(box, lowerFaceBlock(box, 0.55))).toBeCloseTo(0.55, 9);
  });
  it('random block has the requested area, stays inside the box and is repeatable per seed', () => {
    for (let s = 0; s < 200; s++) {
      for (const f of [0.3, 0.55]) {
        const r = randomBlock(box, f, rng(s));
        expect(r.width * r.height).toBeCloseTo(f * box.width * box.height, 6);
        expect(coveredFraction(box, r)).toBeCloseTo(f, 6);
        expect(r.x).toBeGreaterThanOrEqual(box.x - 1e-9);
        expect(r.y).toBeGreaterThanOrEqual(box.y - 1e-9);
        expect(r.x + r.width).toBeLessThanOrEqual(box.x + box.width + 1e-9);
        expect(r.y + r.height).toBeLessThanOrEqual(box.y + box.height + 1e-9);
      }
    }
    expect(randomBlock(box, 0.3, rng(7))).toEqual(randomBlock(box, 0.3, rng(7)));
    expect(randomBlock(box, 0.3, rng(7))).not.toEqual(randomBlock(box, 0.3, rng(8)));
  });
  it('fillRect paints exactly the clipped rectangle and leaves the input alone', () => {
    const img = solid(10, 8, 0);
    const out = fillRect(img, { x: 8, y: -2, width: 5, height: 4 }, [1, 2, 3]);
    expect(mean(img)).toBe(0);
    let painted = 0;
    for (let i = 0; i < out.data.length; i += 3) if (out.data[i] === 1 && out.data[i + 1] === 2 && out.data[i + 2] === 3) painted++;
    expect(painted).toBe(2 * 2); // x 8..9, y 0..1
    expect(clipRect({ x: 8, y: -2, width: 5, height: 4 }, 10, 8)).toEqual({ x: 8, y: 0, width: 2, height: 2 });
  });
  it('default face box is a centred square of 0.45 x the short side', () => {
    expect(defaultFaceBox(250, 250)).toEqual({ x: 68.75, y: 68.75, width: 112.5, height: 112.5 });
  });
});

describe('photometric and resolution degradations', () => {
  const img = checker(40, 30);
  it('low light darkens, adds noise, and is repeatable per seed', () => {
    const grey = solid(32, 32, 200);
    const a = lowLight(grey, 1);
    const expected = 0.5 * (200 / 255) ** 2.2 * 255; // 200 through gamma 2.2 and exposure 0.5
    expect(mean(a)).toBeCloseTo(expected, 0);
    expect(Math.sqrt(variance(a))).toBeGreaterThan(4);
    expect(Math.sqrt(variance(a))).toBeLessThan(Math.sqrt(expected + 16) * 1.3);
    expect(lowLight(grey, 1).data).toEqual(a.data);
    expect(lowLight(grey, 2).data).not.toEqual(a.data);
  });
  it('low resolution keeps the size, keeps flat images flat and removes fine detail', () => {
    const out = lowResolution(checker(250, 250), 64);
    expect([out.width, out.height]).toEqual([250, 250]);
    expect(variance(out)).toBeLessThan(variance(checker(250, 250)) / 10);
    expect(Array.from(new Set(lowResolution(solid(250, 250, 77)).data))).toEqual([77]);
  });
  it('area resize averages', () => {
    const small = resizeArea(checker(4, 4), 2, 2);
    expect(Array.from(small.data)).toEqual(new Array(12).fill(128));
  });
  it('blur keeps flat images flat, keeps the mean and smooths detail', () => {
    expect(Array.from(new Set(gaussianBlur(solid(20, 20, 90), 3).data))).toEqual([90]);
    const b = gaussianBlur(img, 3);
    expect(mean(b)).toBeCloseTo(mean(img), 0);
    expect(variance(b)).toBeLessThan(variance(img) / 20);
  });
  it('every named degradation returns a same-size image and is deterministic', () => {
    const face = checker(120, 100);
    for (const name of Object.keys(DEGRADATIONS) as DegradationName[]) {
      const a = degrade(face, name, { x: 30, y: 20, width: 60, height: 60 }, 'Key_0001');
      const b = degrade(face, name, { x: 30, y: 20, width: 60, height: 60 }, 'Key_0001');
      expect([a.width, a.height, a.data.length]).toEqual([120, 100, 120 * 100 * 3]);
      expect(a.data).toEqual(b.data);
      expect(a.data).not.toEqual(face.data);
    }
    expect(hashSeed('a')).not.toBe(hashSeed('b'));
  });
});

/** Projects a generic 3-D face turned by `yawDeg` (orthographic), optionally rolled in the image plane. */
function projectedFace(yawDeg: number, rollDeg = 0): FiveLandmarks {
  const t = (yawDeg * Math.PI) / 180;
  const r = (rollDeg * Math.PI) / 180;
  const depth = 26; // landmarks this far behind the nose tip
  const pt = (x: number, y: number, z: number) => {
    const px = x * Math.cos(t) + z * Math.sin(t);
    return { x: 125 + px * Math.cos(r) - y * Math.sin(r), y: 125 + px * Math.sin(r) + y * Math.cos(r) };
  };
  const w = depth * YAW_WIDTH_TO_DEPTH;
  return {
    leftEye: pt(-w, -20, -depth),
    rightEye: pt(w, -20, -depth),
    nose: pt(0, 10, 0),
    mouthLeft: pt(-w * 0.8, 35, -depth * 0.8),
    mouthRight: pt(w * 0.8, 35, -depth * 0.8),
  };
}

describe('yaw estimate', () => {
  it('is 0 for a symmetric face and recovers the yaw of the model it assumes', () => {
    expect(estimateYaw(projectedFace(0))).toBeCloseTo(0, 9);
    for (const yaw of [-60, -30, -10, 10, 20, 30, 45, 60]) expect(estimateYaw(projectedFace(yaw))).toBeCloseTo(yaw, 6);
  });
  it('ignores in-plane roll', () => {
    expect(estimateYaw(projectedFace(30, 25))).toBeCloseTo(30, 6);
    expect(estimateYaw(projectedFace(-20, -40))).toBeCloseTo(-20, 6);
  });
  it('bins absolute yaw: frontal < 15 <= 15-45 <= 45 < >45', () => {
    expect(poseBin(0)).toBe('frontal');
    expect(poseBin(-14.9)).toBe('frontal');
    expect(poseBin(15)).toBe('15-45');
    expect(poseBin(-45)).toBe('15-45');
    expect(poseBin(45.1)).toBe('>45');
  });
});
