import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, FacePipeline } from '../../models/index.js';
import { Landmark68Net, LANDMARK68_WEIGHTS } from '../../models/landmarks/landmark68.js';
import { loadWeights } from '../../models/weights.js';
import { eyeAspectRatio, landmarkAgreement } from '../../server/live/challenge/geometry.js';
import { THRESHOLDS } from '../../server/live/challenge/thresholds.js';
import { readSample } from '../support/fixtures.js';

describe("face-api's 68-point landmark net on the sample photos", () => {
  let pipeline: FacePipeline;
  let net: Landmark68Net;
  beforeAll(async () => {
    // The service's default engine, which the 68-point net shares with the pipeline, as in the inference worker.
    pipeline = await FacePipeline.load();
    net = Landmark68Net.load(pipeline.engine);
  });
  afterAll(() => {
    net?.dispose();
    pipeline?.dispose();
  });

  it('loads only with the recorded sha256', () => {
    const tampered = { ...LANDMARK68_WEIGHTS, sha256: { ...LANDMARK68_WEIGHTS.sha256, 'model/face_landmark_68_model.bin': 'f'.repeat(64) } };
    expect(() => loadWeights(tampered)).toThrow(/face_landmark_68_model\.bin has sha256/);
  });

  it("puts 68 points on every face, agreeing with MTCNN's five, eyes open, without leaking tensors", async () => {
    const agreement: number[] = [];
    for (const n of [1, 2, 3, 4, 5, 6] as const) {
      const image = await decodeImage(readSample(n));
      const faces = pipeline.detectFaces(image);
      const before = pipeline.tensorCount();
      const results = net.detect(image, faces.map((f) => f.box));
      expect(pipeline.tensorCount()).toBe(before);
      expect(results).toHaveLength(faces.length);
      results.forEach((r, i) => {
        const face = faces[i]!;
        expect(r.points).toHaveLength(68);
        // Within the crop, and in the right order: jaw from image-left to image-right, eyes above the mouth.
        for (const p of r.points) {
          expect(p.x).toBeGreaterThanOrEqual(r.crop.x);
          expect(p.x).toBeLessThanOrEqual(r.crop.x + r.crop.width);
        }
        expect(r.points[0]!.x).toBeLessThan(r.points[16]!.x);
        expect(r.points[37]!.y).toBeLessThan(r.points[57]!.y);
        // Two independent models: the 68's eyes, nose and mouth corners land on MTCNN's five points.
        agreement.push(landmarkAgreement(r.points, face.landmarks));
        expect(eyeAspectRatio(r.points)).toBeGreaterThan(0.15);
      });
    }
    // Two independent models: the 68's eyes, nose and mouth corners land on MTCNN's five points (RMS, in
    // interocular distances; the challenge skips frames beyond its gate, LFW photos' p99).
    agreement.sort((a, b) => a - b);
    expect(agreement[Math.floor(agreement.length / 2)]!).toBeLessThan(0.08);
    expect(agreement.filter((a) => a <= THRESHOLDS.landmarkAgreement).length).toBeGreaterThanOrEqual(agreement.length * 0.75);
    expect(agreement.at(-1)!).toBeLessThan(0.3);
  });
});
