/**
 * LFW protocol files: pairs (View 1 and View 2), the people split, gender labels and image paths.
 *
 * Parsers take file text (so they are trivially testable); `loadLfw` reads them from a data folder laid
 * out as described in `../shared/data/lfw/README.md`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One LFW image: a person's name and the 1-based image number (`Name_0003.jpg` is index 3). */
export interface ImageRef {
  name: string;
  index: number;
}

export interface Pair {
  a: ImageRef;
  b: ImageRef;
  /** true for a matched (same person) pair. */
  same: boolean;
  /** 0-based fold (View 2 has 10; View 1 files are a single fold 0). */
  fold: number;
}

export interface PairsFile {
  folds: number;
  /** Matched pairs per fold (= mismatched pairs per fold). */
  perFold: number;
  pairs: Pair[];
}

export interface Person {
  name: string;
  count: number;
}

export type Gender = 'female' | 'male';

/** `Name_0001`: the image's file name without extension; the key used everywhere in the evaluation. */
export function imageKey(ref: ImageRef): string {
  return `${ref.name}_${String(ref.index).padStart(4, '0')}`;
}

/** Inverse of `imageKey`. Names may contain underscores; the index is the last 4 digits. */
export function parseImageKey(key: string): ImageRef {
  const m = /^(.+)_(\d{4})$/.exec(key);
  if (!m) throw new Error(`not an LFW image key: ${JSON.stringify(key)}`);
  return { name: m[1]!, index: Number(m[2]) };
}

export function imagePath(dataDir: string, ref: ImageRef): string {
  return path.join(dataDir, 'images', ref.name, `${imageKey(ref)}.jpg`);
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function int(s: string | undefined, what: string): number {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n)) throw new Error(`expected an integer for ${what}, got ${JSON.stringify(s)}`);
  return n;
}

function parsePairLine(line: string, fold: number, lineNo: number): Pair {
  const f = line.split('\t');
  if (f.length === 3) {
    const name = f[0]!;
    return {
      a: { name, index: int(f[1], `line ${lineNo}`) },
      b: { name, index: int(f[2], `line ${lineNo}`) },
      same: true,
      fold,
    };
  }
  if (f.length === 4) {
    return {
      a: { name: f[0]!, index: int(f[1], `line ${lineNo}`) },
      b: { name: f[2]!, index: int(f[3], `line ${lineNo}`) },
      same: false,
      fold,
    };
  }
  throw new Error(`pairs line ${lineNo}: expected 3 or 4 tab-separated fields, got ${f.length}: ${JSON.stringify(line)}`);
}

/**
 * Parses `pairs.txt` (first line `10\t300`: folds and matched pairs per fold; each fold is 300 matched
 * lines then 300 mismatched lines) or a View 1 file (`pairsDevTrain.txt`: first line `1100`, then 1100
 * matched and 1100 mismatched lines, one fold). Checks that each block holds the kind of line it should.
 */
export function parsePairs(text: string): PairsFile {
  const ls = lines(text);
  const head = (ls[0] ?? '').split(/\s+/);
  let folds: number;
  let perFold: number;
  if (head.length === 2) {
    folds = int(head[0], 'fold count');
    perFold = int(head[1], 'pairs per fold');
  } else if (head.length === 1) {
    folds = 1;
    perFold = int(head[0], 'pair count');
  } else {
    throw new Error(`pairs header: expected "N" or "FOLDS\\tN", got ${JSON.stringify(ls[0])}`);
  }
  const expected = 1 + folds * perFold * 2;
  if (ls.length !== expected) throw new Error(`pairs file: expected ${expected} lines, found ${ls.length}`);
  const pairs: Pair[] = [];
  for (let fold = 0; fold < folds; fold++) {
    for (let j = 0; j < perFold * 2; j++) {
      const lineNo = 1 + fold * perFold * 2 + j;
      const pair = parsePairLine(ls[lineNo]!, fold, lineNo + 1);
      const shouldMatch = j < perFold;
      if (pair.same !== shouldMatch) {
        throw new Error(`pairs line ${lineNo + 1}: expected a ${shouldMatch ? 'matched' : 'mismatched'} pair`);
      }
      pairs.push(pair);
    }
  }
  return { folds, perFold, pairs };
}

/**
 * Parses `people.txt` (first line: number of sets; each set: a count line, then `name\tcount` lines) into
 * the sets of people. Also accepts the View 1 form (`peopleDevTrain.txt`: a count line, then people),
 * which gives one set.
 */
export function parsePeople(text: string): Person[][] {
  const ls = lines(text);
  let i = 0;
  const first = int(ls[i++], 'people header');
  const personLine = (l: string, no: number): Person => {
    const f = l.split('\t');
    if (f.length !== 2) throw new Error(`people line ${no}: expected "name\\tcount", got ${JSON.stringify(l)}`);
    return { name: f[0]!, count: int(f[1], `people line ${no}`) };
  };
  // View 1 form: header is the number of people and every following line is a person.
  if (ls.length === first + 1 && (ls[1] ?? '').includes('\t')) {
    return [ls.slice(1).map((l, k) => personLine(l, k + 2))];
  }
  const sets: Person[][] = [];
  for (let s = 0; s < first; s++) {
    const n = int(ls[i++], `size of people set ${s + 1}`);
    const set: Person[] = [];
    for (let k = 0; k < n; k++, i++) {
      const l = ls[i];
      if (l === undefined) throw new Error(`people set ${s + 1}: file ends after ${k} of ${n} people`);
      set.push(personLine(l, i + 1));
    }
    sets.push(set);
  }
  if (i !== ls.length) throw new Error(`people file: ${ls.length - i} unexpected trailing lines`);
  return sets;
}

/** Parses `lfw-names.txt` (`name\tcount` per line). */
export function parseNames(text: string): Person[] {
  return lines(text).map((l, k) => {
    const f = l.split('\t');
    return { name: f[0]!, count: int(f[1], `lfw-names line ${k + 1}`) };
  });
}

export interface GenderLabels {
  /** image key (`Name_0001`) -> label. */
  labels: Map<string, Gender>;
  /** Keys listed as both female and male; resolved as female (the female entry is the correction). */
  conflicts: string[];
}

/**
 * Parses the "LFW gender" lists. Quirks handled (see the data README): CRLF line endings; an entry without
 * `.jpg` (`Allison_Searing_0001`); images listed in both files, where the female entry wins. Images in
 * neither list are simply absent from the map.
 */
export function parseGender(femaleText: string, maleText: string): GenderLabels {
  const keyOf = (l: string): string => l.replace(/\.jpg$/i, '');
  const female = new Set(lines(femaleText).map(keyOf));
  const labels = new Map<string, Gender>();
  const conflicts: string[] = [];
  for (const k of lines(maleText).map(keyOf)) {
    if (female.has(k)) conflicts.push(k);
    else labels.set(k, 'male');
  }
  for (const k of female) labels.set(k, 'female');
  return { labels, conflicts: conflicts.sort() };
}

export interface Lfw {
  dataDir: string;
  /** View 2, 10 folds of 300 + 300 pairs. */
  view2: PairsFile;
  /** View 1 training pairs (1,100 + 1,100). */
  devTrain: PairsFile;
  /** View 1 test pairs (500 + 500). */
  devTest: PairsFile;
  /** View 2 people split: 10 sets covering every person. */
  peopleSets: Person[][];
  /** Every person with their image count (`lfw-names.txt`). */
  names: Person[];
  gender: GenderLabels;
}

export function lfwAvailable(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pairs.txt'));
}

export function loadLfw(dataDir: string): Lfw {
  const read = (f: string): string => {
    const p = path.join(dataDir, f);
    if (!existsSync(p)) throw new Error(`LFW file missing: ${p} (see ../shared/data/lfw/README.md)`);
    return readFileSync(p, 'utf8');
  };
  return {
    dataDir,
    view2: parsePairs(read('pairs.txt')),
    devTrain: parsePairs(read('pairsDevTrain.txt')),
    devTest: parsePairs(read('pairsDevTest.txt')),
    peopleSets: parsePeople(read('people.txt')),
    names: parseNames(read('lfw-names.txt')),
    gender: parseGender(read('gender/female_names.txt'), read('gender/male_names.txt')),
  };
}

/** All image refs of one person. */
export function personImages(p: Person): ImageRef[] {
  return Array.from({ length: p.count }, (_, k) => ({ name: p.name, index: k + 1 }));
}

/** Distinct image keys named by the given pairs, in first-seen order. */
export function pairImageKeys(pairs: readonly Pair[]): string[] {
  const seen = new Set<string>();
  for (const p of pairs) {
    seen.add(imageKey(p.a));
    seen.add(imageKey(p.b));
  }
  return [...seen];
}

/** The pair's gender when both images carry the same label, otherwise undefined. */
export function pairGender(pair: Pair, labels: Map<string, Gender>): Gender | undefined {
  const ga = labels.get(imageKey(pair.a));
  const gb = labels.get(imageKey(pair.b));
  return ga !== undefined && ga === gb ? ga : undefined;
}
