/** The face-selection rule (models/select.ts) on constructed faces with known answers. */
import { describe, expect, it } from 'vitest';
import { AMBIGUITY_RATIO, prominence, selectFace } from '../../models/select.js';
import type { Face } from '../../models/types.js';

const W = 640;
const H = 480;

/** A face with the given unclipped box; `box` is clipped to the image and `inFrame` set as the detector does. */
function face(x: number, y: number, size: number, score = 0.99): Face {
  const x1 = Math.max(0, x);
  const y1 = Math.max(0, y);
  const x2 = Math.min(W, x + size);
  const y2 = Math.min(H, y + size);
  const box = { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
  const c = { x: x + size / 2, y: y + size / 2 };
  const p = (dx: number, dy: number) => ({ x: c.x + dx * size, y: c.y + dy * size });
  return {
    box,
    score,
    inFrame: (box.width * box.height) / (size * size),
    landmarks: { leftEye: p(-0.2, -0.1), rightEye: p(0.2, -0.1), nose: p(0, 0.05), mouthLeft: p(-0.15, 0.25), mouthRight: p(0.15, 0.25) },
  };
}

/** Largest first, as the detector returns them. */
const byArea = (faces: Face[]): Face[] => [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);

describe('selectFace', () => {
  it('prefers a central face to a larger bystander cut by the border', () => {
    const bystander = face(-90, 60, 260); // 35% of it outside the left edge, still the largest box
    const subject = face(W / 2 - 90, H / 2 - 90, 180);
    const faces = byArea([bystander, subject]);
    expect(faces[0]).toBe(bystander);
    expect(bystander.inFrame).toBeLessThan(0.7);
    const chosen = selectFace(faces, W, H);
    expect(chosen.face).toBe(subject);
    expect(chosen.index).toBe(1);
    expect(chosen.rule).toBe('prominent');
    expect(chosen.faceCount).toBe(2);
    expect(chosen.ambiguous).toBe(false);
    // LARGEST still gives the bystander, as asked.
    expect(selectFace(faces, W, H, { rule: 'largest' }).face).toBe(bystander);
  });

  it('prefers a central face to a larger one in a corner that is wholly in frame', () => {
    const corner = face(W - 230, 0, 220);
    const subject = face(W / 2 - 80, H / 2 - 80, 160);
    expect(selectFace(byArea([corner, subject]), W, H).face).toBe(subject);
  });

  it('keeps the larger of two faces at the same distance from the centre', () => {
    const big = face(60, H / 2 - 100, 200);
    const small = face(W - 60 - 120, H / 2 - 60, 120);
    expect(selectFace(byArea([big, small]), W, H).face).toBe(big);
  });

  it('flags two equally prominent faces as ambiguous and names the runner-up', () => {
    const left = face(W / 2 - 20 - 150, H / 2 - 75, 150);
    const right = face(W / 2 + 20, H / 2 - 75, 150);
    const chosen = selectFace([left, right], W, H);
    expect(chosen.ambiguous).toBe(true);
    expect(chosen.runnerUp).toBe(1 - chosen.index);
    const scores = [prominence(left, W, H), prominence(right, W, H)];
    expect(Math.min(...scores) / Math.max(...scores)).toBeGreaterThanOrEqual(AMBIGUITY_RATIO);
  });

  it('does not flag a clear winner, nor a single face', () => {
    expect(selectFace([face(W / 2 - 100, H / 2 - 100, 200), face(10, 10, 40)], W, H).ambiguous).toBe(false);
    const one = selectFace([face(100, 100, 80)], W, H);
    expect(one).toMatchObject({ index: 0, faceCount: 1, ambiguous: false, runnerUp: null });
  });

  it('takes an explicit index as given, never ambiguous, and refuses one out of range', () => {
    const faces = [face(W / 2 - 20 - 150, H / 2 - 75, 150), face(W / 2 + 20, H / 2 - 75, 150)];
    expect(selectFace(faces, W, H, { rule: 'index', index: 1 })).toMatchObject({ index: 1, rule: 'index', ambiguous: false });
    for (const index of [2, -1, 0.5]) {
      expect(() => selectFace(faces, W, H, { rule: 'index', index })).toThrow(expect.objectContaining({ code: 'FACE_INDEX_OUT_OF_RANGE' }));
    }
  });

  it('refuses an image without faces with NO_FACE', () => {
    expect(() => selectFace([], W, H)).toThrow(expect.objectContaining({ code: 'NO_FACE' }));
  });
});
