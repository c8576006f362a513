import { describe, expect, it } from 'vitest';
import { subjectIndex, subjectScore } from '../../bench/lfw/select.js';

describe('LFW subject selection', () => {
  it('prefers the central face over a larger one at the border', () => {
    const central = { box: { x: 80, y: 70, width: 90, height: 100 } };
    const border = { box: { x: 0, y: 40, width: 110, height: 120 } };
    // border: area 13200, centre (55, 100) is 70 px left of (125, 125) and 25 up: 13200 - 2 * 5525 = 2150.
    expect(subjectScore(border.box, 250, 250)).toBe(2150);
    expect(subjectIndex([border, central], 250, 250)).toBe(1);
  });
  it('takes the larger of two central faces, and -1 for none', () => {
    const a = { box: { x: 100, y: 100, width: 50, height: 50 } };
    const b = { box: { x: 75, y: 75, width: 100, height: 100 } };
    expect(subjectIndex([a, b], 250, 250)).toBe(1);
    expect(subjectIndex([a], 250, 250)).toBe(0);
    expect(subjectIndex([], 250, 250)).toBe(-1);
  });
});
