import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, FacePipeline, type Face } from '../../models/index.js';
import { readSample } from '../support/fixtures.js';

/** Clearly visible faces in @vladmandic/face-api's demo photos, counted by eye. */
const VISIBLE_FACES = { 1: 3, 2: 2, 3: 3, 4: 4, 5: 5, 6: 4 } as const;

function inside(face: Face, p: { x: number; y: number }): boolean {
  const { x, y, width, height } = face.box;
  return p.x >= x && p.x <= x + width && p.y >= y && p.y <= y + height;
}

describe('MTCNN on the sample photos', () => {
  let pipeline: FacePipeline;
  beforeAll(async () => {
    pipeline = await FacePipeline.load();
  });
  afterAll(() => pipeline?.dispose());

  it('runs on onnxruntime by default here (no TF.js native backend installed), never silently on cpu', () => {
    expect(pipeline.backend).toBe('onnxruntime');
  });

  for (const [n, count] of Object.entries(VISIBLE_FACES)) {
    it(`finds the ${count} visible faces in sample${n}.jpg with consistent landmarks`, async () => {
      const image = await decodeImage(readSample(Number(n) as 1));
      const faces = pipeline.detectFaces(image);
      expect(faces).toHaveLength(count);
      for (const face of faces) {
        expect(face.score).toBeGreaterThan(0.7);
        const l = face.landmarks;
        for (const p of [l.leftEye, l.rightEye, l.nose, l.mouthLeft, l.mouthRight]) expect(inside(face, p)).toBe(true);
        // eyes above the mouth, image-left before image-right
        expect(Math.max(l.leftEye.y, l.rightEye.y)).toBeLessThan(Math.min(l.mouthLeft.y, l.mouthRight.y));
        expect(l.leftEye.x).toBeLessThan(l.rightEye.x);
        expect(l.mouthLeft.x).toBeLessThan(l.mouthRight.x);
      }
      // largest first
      const areas = faces.map((f) => f.box.width * f.box.height);
      expect([...areas].sort((a, b) => b - a)).toEqual(areas);
    });
  }

  it('finds nothing in an image too small to hold a face and in a flat image', () => {
    expect(pipeline.detectFaces({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) })).toEqual([]);
    expect(pipeline.detectFaces({ width: 200, height: 150, data: new Uint8Array(200 * 150 * 3).fill(128) })).toEqual([]);
  });
});
