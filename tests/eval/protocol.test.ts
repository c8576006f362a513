import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  imageKey,
  imagePath,
  loadLfw,
  pairGender,
  pairImageKeys,
  parseGender,
  parseImageKey,
  parsePairs,
  parsePeople,
  personImages,
} from '../../bench/lfw/protocol.js';
import { hasLfw, lfwDir, lfwSkipReason } from '../support/fixtures.js';

describe('protocol parsers (inline text)', () => {
  it('parses a two-fold pairs file with matched then mismatched blocks', () => {
    const text = '2\t1\nA\t1\t2\nB\t1\tC\t3\nD\t2\t4\nE\t1\tF_G\t1\n';
    const p = parsePairs(text);
    expect(p.folds).toBe(2);
    expect(p.perFold).toBe(1);
    expect(p.pairs).toEqual([
      { a: { name: 'A', index: 1 }, b: { name: 'A', index: 2 }, same: true, fold: 0 },
      { a: { name: 'B', index: 1 }, b: { name: 'C', index: 3 }, same: false, fold: 0 },
      { a: { name: 'D', index: 2 }, b: { name: 'D', index: 4 }, same: true, fold: 1 },
      { a: { name: 'E', index: 1 }, b: { name: 'F_G', index: 1 }, same: false, fold: 1 },
    ]);
  });
  it('parses the View 1 form (a single count) as one fold, CRLF tolerated', () => {
    const p = parsePairs('1\r\nA\t1\t2\r\nB\t1\tC\t3\r\n');
    expect(p).toMatchObject({ folds: 1, perFold: 1 });
    expect(p.pairs.map((x) => x.same)).toEqual([true, false]);
  });
  it('rejects a wrong line count or a pair in the wrong block', () => {
    expect(() => parsePairs('1\nA\t1\t2\n')).toThrow(/expected 3 lines/);
    expect(() => parsePairs('1\nB\t1\tC\t3\nA\t1\t2\n')).toThrow(/expected a matched pair/);
  });
  it('parses people sets and the View 1 people form', () => {
    expect(parsePeople('2\n1\nA\t3\n2\nB\t1\nC\t2\n')).toEqual([
      [{ name: 'A', count: 3 }],
      [
        { name: 'B', count: 1 },
        { name: 'C', count: 2 },
      ],
    ]);
    expect(parsePeople('2\nA\t3\nB\t1\n')).toEqual([
      [
        { name: 'A', count: 3 },
        { name: 'B', count: 1 },
      ],
    ]);
  });
  it('handles the gender list quirks: CRLF, missing .jpg, female wins conflicts', () => {
    const g = parseGender('A_0001.jpg\r\nB_0001\r\nC_0001.jpg\r\n', 'C_0001.jpg\r\nD_0002.jpg\r\n');
    expect(g.labels.get('A_0001')).toBe('female');
    expect(g.labels.get('B_0001')).toBe('female');
    expect(g.labels.get('C_0001')).toBe('female');
    expect(g.labels.get('D_0002')).toBe('male');
    expect(g.conflicts).toEqual(['C_0001']);
    const pair = { a: { name: 'A', index: 1 }, b: { name: 'B', index: 1 }, same: false, fold: 0 };
    expect(pairGender(pair, g.labels)).toBe('female');
    expect(pairGender({ ...pair, b: { name: 'D', index: 2 } }, g.labels)).toBeUndefined();
    expect(pairGender({ ...pair, b: { name: 'Z', index: 1 } }, g.labels)).toBeUndefined();
  });
  it('round-trips image keys, including names with underscores', () => {
    expect(imageKey({ name: 'George_W_Bush', index: 12 })).toBe('George_W_Bush_0012');
    expect(parseImageKey('George_W_Bush_0012')).toEqual({ name: 'George_W_Bush', index: 12 });
    expect(() => parseImageKey('nope')).toThrow();
    expect(imagePath('/d', { name: 'A_B', index: 3 })).toBe('/d/images/A_B/A_B_0003.jpg');
  });
});

describe.skipIf(!hasLfw)(`LFW protocol files at ${lfwDir}`, () => {
  const lfw = hasLfw ? loadLfw(lfwDir) : undefined;

  it('View 2: 10 folds of 300 matched + 300 mismatched, 7,701 distinct images, all present', () => {
    const v = lfw!.view2;
    expect(v.folds).toBe(10);
    expect(v.pairs).toHaveLength(6000);
    for (let f = 0; f < 10; f++) {
      const fold = v.pairs.filter((p) => p.fold === f);
      expect(fold.filter((p) => p.same)).toHaveLength(300);
      expect(fold.filter((p) => !p.same)).toHaveLength(300);
    }
    const keys = pairImageKeys(v.pairs);
    expect(keys).toHaveLength(7701);
    expect(v.pairs.every((p) => existsSync(imagePath(lfwDir, p.a)) && existsSync(imagePath(lfwDir, p.b)))).toBe(true);
    expect(v.pairs[0]).toEqual({ a: { name: 'Abel_Pacheco', index: 1 }, b: { name: 'Abel_Pacheco', index: 4 }, same: true, fold: 0 });
  });

  it('View 1: 1,100 + 1,100 training and 500 + 500 test pairs', () => {
    expect(lfw!.devTrain.pairs).toHaveLength(2200);
    expect(lfw!.devTrain.pairs.filter((p) => p.same)).toHaveLength(1100);
    expect(lfw!.devTest.pairs).toHaveLength(1000);
    expect(lfw!.devTest.pairs.filter((p) => p.same)).toHaveLength(500);
  });

  it('people.txt: 10 disjoint sets covering all 5,749 people and 13,233 images', () => {
    const sets = lfw!.peopleSets;
    expect(sets).toHaveLength(10);
    const everyone = sets.flat();
    expect(everyone).toHaveLength(5749);
    expect(new Set(everyone.map((p) => p.name)).size).toBe(5749);
    expect(everyone.reduce((n, p) => n + p.count, 0)).toBe(13233);
    const names = new Map(lfw!.names.map((p) => [p.name, p.count]));
    expect(everyone.every((p) => names.get(p.name) === p.count)).toBe(true);
  });

  it('gender labels: 13,229 labelled images, 5 conflicts resolved as female, 4 unlabelled', () => {
    const g = lfw!.gender;
    expect(g.conflicts).toHaveLength(5);
    for (const k of g.conflicts) expect(g.labels.get(k)).toBe('female');
    expect(g.labels.get('Allison_Searing_0001')).toBe('female');
    const all = lfw!.names.flatMap(personImages).map(imageKey);
    expect(all).toHaveLength(13233);
    expect(all.filter((k) => !g.labels.has(k)).sort()).toEqual([
      'Robert_Evans_0001',
      'Robert_Evans_0002',
      'Tara_Kirk_0001',
      'Yasser_Arafat_0005',
    ]);
    expect(g.labels.size).toBe(13229);
  });
});

if (!hasLfw) {
  describe('LFW protocol files', () => {
    it.skip(lfwSkipReason, () => {});
  });
}
