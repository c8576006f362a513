/** The gallery's model-free parts: the search index against brute force, head pose, the quality gate, keys. */
import { describe, expect, it } from 'vitest';
import type { Face } from '../../models/types.js';
import { DEFAULT_QUALITY_POLICY } from '../../server/gallery/config.js';
import { can, isBootstrapKey, mintKey, parseKey, presentedKey, secretMatches, visibleGalleries, type Principal } from '../../server/gallery/keys.js';
import { headPose, qualityIssues } from '../../server/gallery/quality.js';
import { TemplateMatrix } from '../../server/gallery/search/exact.js';
import { GalleryIndex } from '../../server/gallery/search/gallery-index.js';
import { DEFAULT_MATCH_POLICY } from '../../server/gallery/thresholds.js';

function unit(dims: number, seed: number): Float32Array {
  let s = seed * 2654435761;
  const v = Float32Array.from({ length: dims }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** Best subject scores by brute force over what is left. */
function bruteForce(entries: Map<string, { subject: string; v: Float32Array }>, q: Float32Array, k: number) {
  const best = new Map<string, number>();
  for (const { subject, v } of entries.values()) best.set(subject, Math.max(best.get(subject) ?? -Infinity, dot(v, q)));
  return [...best.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
}

describe('TemplateMatrix', () => {
  it('matches brute force after adds and removals (swap-removal keeps rows consistent)', () => {
    const m = new TemplateMatrix(16, 4);
    const entries = new Map<string, { subject: string; v: Float32Array }>();
    for (let i = 0; i < 300; i++) {
      const v = unit(16, i + 1);
      const subject = `s${i % 70}`;
      m.add(`t${i}`, subject, v);
      entries.set(`t${i}`, { subject, v });
    }
    for (let i = 0; i < 300; i += 3) {
      m.remove(`t${i}`);
      entries.delete(`t${i}`);
    }
    m.removeSubject('s5');
    for (const [id, e] of entries) if (e.subject === 's5') entries.delete(id);
    expect(m.size).toBe(entries.size);
    expect(m.hasSubject('s5')).toBe(false);
    for (let q = 0; q < 20; q++) {
      const query = unit(16, 1000 + q);
      const got = m.search(query, 5).map((h) => [h.subjectId, h.similarity]);
      const want = bruteForce(entries, query, 5);
      expect(got.map((g) => g[0])).toEqual(want.map((w) => w[0]));
      got.forEach((g, i) => expect(g[1]).toBeCloseTo(want[i]![1], 5));
    }
  });

  it('finds the k best subjects when one subject holds all the best templates', () => {
    const m = new TemplateMatrix(16);
    const entries = new Map<string, { subject: string; v: Float32Array }>();
    const probe = unit(16, 77);
    const add = (id: string, subject: string, v: Float32Array) => {
      m.add(id, subject, v);
      entries.set(id, { subject, v });
    };
    for (let i = 0; i < 200; i++) add(`o${i}`, `s${i % 60}`, unit(16, i + 500));
    // 30 templates close to the probe, all of one subject: the native scan must look past all of them.
    for (let i = 0; i < 30; i++) {
      const noise = unit(16, i + 9000);
      const near = probe.map((x, j) => x + 0.05 * noise[j]!);
      add(`crowd${i}`, 'crowd', near.map((x) => x / Math.hypot(...near)));
    }
    // The probe as a view into the middle of a larger buffer (byteOffset > 0).
    const buffer = new Float32Array(48);
    buffer.set(probe, 16);
    const view = buffer.subarray(16, 32);
    for (const k of [1, 5, 12]) {
      const got = m.search(view, k);
      const want = bruteForce(entries, probe, k);
      expect(got.map((g) => g.subjectId)).toEqual(want.map((w) => w[0]));
      got.forEach((g, i) => expect(g.similarity).toBeCloseTo(want[i]![1], 5));
    }
    expect(m.search(probe, 1)[0]!.subjectId).toBe('crowd');
    m.removeSubject('crowd');
    for (const id of [...entries.keys()]) if (id.startsWith('crowd')) entries.delete(id);
    expect(m.search(probe, 5).map((g) => g.subjectId)).toEqual(bruteForce(entries, probe, 5).map((w) => w[0]));
    expect(new TemplateMatrix(16).search(probe, 3)).toEqual([]);
  });

  it('scores a subject over all its templates', () => {
    const m = new TemplateMatrix(8);
    const a = unit(8, 1);
    const b = unit(8, 2);
    m.add('a', 'x', a);
    m.add('b', 'x', b);
    const s = m.scoreSubject('x', a)!;
    expect(s.best).toBeCloseTo(1, 5);
    expect(s.mean).toBeCloseTo((1 + dot(a, b)) / 2, 5);
    expect(s.count).toBe(2);
    expect(s.bestTemplateId).toBe('a');
    expect(m.scoreSubject('nobody', a)).toBeNull();
  });
});

describe('GalleryIndex with the HNSW graph', () => {
  it('switches to ANN past its size, re-ranks exactly, and forgets removed subjects', () => {
    const index = new GalleryIndex({ dims: 32, annMinTemplates: 200 });
    for (let i = 0; i < 400; i++) index.add(`t${i}`, `s${i % 150}`, unit(32, i + 7));
    expect(index.annActive).toBe(true);
    let agree = 0;
    for (let q = 0; q < 30; q++) {
      const query = unit(32, 5000 + q);
      const ann = index.search(query, 3);
      const exact = index.exactSearch(query, 3);
      expect(ann.method).toBe('ANN');
      // Re-ranking: a subject the graph found has its exact score.
      for (const hit of ann.hits) expect(hit.similarity).toBeCloseTo(index.scoreSubject(hit.subjectId, query)!.best, 6);
      if (ann.hits[0]?.subjectId === exact[0]?.subjectId) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(27);
    index.removeSubject('s3');
    const probe = unit(32, 3 + 7);
    expect(index.search(probe, 150).hits.map((h) => h.subjectId)).not.toContain('s3');
    expect(index.matrix.subjectTemplates('s3')).toEqual([]);
  });

  it('resyncs in place: after syncTo it holds exactly the given templates and answers as a fresh index would', () => {
    const all = Array.from({ length: 420 }, (_, i) => ({ id: `t${i}`, subjectId: `s${i % 150}`, vector: unit(32, i + 11) }));
    const index = new GalleryIndex({ dims: 32, annMinTemplates: 200 });
    for (const t of all.slice(0, 400)) index.add(t.id, t.subjectId, t.vector);
    expect(index.annActive).toBe(true);
    // Meanwhile, elsewhere: 30 templates erased, 20 new ones.
    const now = [...all.slice(30, 400), ...all.slice(400)];
    expect(index.syncTo(now)).toEqual({ added: 20, removed: 30 });
    expect(index.annActive).toBe(true);
    expect(index.size).toBe(now.length);
    const fresh = new GalleryIndex({ dims: 32, annMinTemplates: 200 });
    for (const t of now) fresh.add(t.id, t.subjectId, t.vector);
    expect(index.subjectCount).toBe(fresh.subjectCount);
    let agree = 0;
    for (let q = 0; q < 30; q++) {
      const query = unit(32, 7000 + q);
      expect(index.exactSearch(query, 5)).toEqual(fresh.exactSearch(query, 5));
      const ann = index.search(query, 1);
      expect(ann.method).toBe('ANN');
      if (ann.hits[0]?.subjectId === fresh.exactSearch(query, 1)[0]?.subjectId) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(27);
    for (const t of all.slice(0, 30)) expect(index.matrix.has(t.id)).toBe(false);
    expect(index.syncTo(now)).toEqual({ added: 0, removed: 0 });
  });
});

function face(points: Partial<Record<keyof Face['landmarks'], [number, number]>> = {}, box = { x: 0, y: 0, width: 100, height: 120 }): Face {
  const base: Record<keyof Face['landmarks'], [number, number]> = {
    leftEye: [35, 40],
    rightEye: [65, 40],
    nose: [50, 40 + 0.52 * 40],
    mouthLeft: [38, 80],
    mouthRight: [62, 80],
    ...points,
  };
  const landmarks = Object.fromEntries(Object.entries(base).map(([k, [x, y]]) => [k, { x, y }])) as unknown as Face['landmarks'];
  return { box, score: 0.99, landmarks, inFrame: 1 };
}

describe('head pose from five points', () => {
  it('is frontal for a symmetric face, at any roll', () => {
    const pose = headPose(face().landmarks);
    expect(Math.abs(pose.yaw)).toBeLessThan(0.5);
    expect(Math.abs(pose.pitch)).toBeLessThan(0.5);
    const angle = (25 * Math.PI) / 180;
    const rotated = Object.fromEntries(
      Object.entries(face().landmarks).map(([k, p]) => [k, { x: p.x * Math.cos(angle) - p.y * Math.sin(angle), y: p.x * Math.sin(angle) + p.y * Math.cos(angle) }]),
    ) as unknown as Face['landmarks'];
    const rolled = headPose(rotated);
    expect(Math.abs(rolled.yaw)).toBeLessThan(0.5);
    expect(Math.abs(rolled.pitch)).toBeLessThan(0.5);
  });

  it('grows with the nose turned sideways or up and down', () => {
    const turned = headPose(face({ nose: [62, 60.8] }).landmarks);
    expect(turned.yaw).toBeGreaterThan(30);
    expect(headPose(face({ nose: [38, 60.8] }).landmarks).yaw).toBeLessThan(-30);
    expect(headPose(face({ nose: [50, 72] }).landmarks).pitch).toBeGreaterThan(25);
    expect(headPose(face({ nose: [50, 46] }).landmarks).pitch).toBeLessThan(-25);
  });
});

describe('quality gate', () => {
  it('lists every failed check with value and limit', () => {
    const issues = qualityIssues({ faceSize: 30, detectorScore: 0.5, sharpness: 3, yaw: 60, pitch: -50 }, DEFAULT_QUALITY_POLICY);
    expect(issues.map((i) => i.check)).toEqual(['FACE_SIZE', 'DETECTOR_SCORE', 'SHARPNESS', 'YAW', 'PITCH']);
    expect(issues[0]).toEqual({ check: 'FACE_SIZE', value: 30, limit: DEFAULT_QUALITY_POLICY.minFaceSize });
    expect(qualityIssues({ faceSize: 100, detectorScore: 0.99, sharpness: 90, yaw: 5, pitch: -5 }, DEFAULT_QUALITY_POLICY)).toEqual([]);
  });

  it('identification is stricter than verification', () => {
    expect(DEFAULT_MATCH_POLICY.identifyThreshold).toBeGreaterThan(DEFAULT_MATCH_POLICY.verifyThreshold);
    expect(DEFAULT_MATCH_POLICY.minMargin).toBeGreaterThan(0);
  });
});

describe('API keys', () => {
  it('mints keys that parse and verify against their hash only', () => {
    const { key, prefix, secretHash } = mintKey();
    const parsed = parseKey(key)!;
    expect(parsed.prefix).toBe(prefix);
    expect(secretHash).not.toContain(parsed.secret);
    expect(secretMatches(parsed.secret, secretHash)).toBe(true);
    expect(secretMatches(parsed.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), secretHash)).toBe(false);
    expect(parseKey('fgk_short_x')).toBeNull();
    expect(isBootstrapKey('a-bootstrap-key-of-some-length', 'a-bootstrap-key-of-some-length')).toBe(true);
    expect(isBootstrapKey('a-bootstrap-key-of-some-length', null)).toBe(false);
  });

  it('grants scopes per gallery; admin implies the rest; null gallery means every gallery', () => {
    const kiosk: Principal = { keyId: 'k', name: 'kiosk', grants: [{ galleryId: 'g1', scopes: ['identify'] }, { galleryId: 'g2', scopes: ['admin'] }] };
    expect(can(kiosk, 'identify', 'g1')).toBe(true);
    expect(can(kiosk, 'enroll', 'g1')).toBe(false);
    expect(can(kiosk, 'delete', 'g2')).toBe(true);
    expect(can(kiosk, 'identify', 'g3')).toBe(false);
    expect(can(kiosk, 'admin', null)).toBe(false);
    expect(visibleGalleries(kiosk)).toEqual(['g1', 'g2']);
    const root: Principal = { keyId: 'r', name: 'root', grants: [{ galleryId: null, scopes: ['admin'] }] };
    expect(can(root, 'admin', null)).toBe(true);
    expect(visibleGalleries(root)).toBeNull();
  });

  it('reads the key from Authorization, x-api-key or the WebSocket connection params', () => {
    const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });
    expect(presentedKey(headers({ authorization: 'Bearer abc' }), undefined)).toBe('abc');
    expect(presentedKey(headers({ 'x-api-key': ' def ' }), undefined)).toBe('def');
    expect(presentedKey(undefined, { apiKey: 'ghi' })).toBe('ghi');
    expect(presentedKey(undefined, { authorization: 'Bearer jkl' })).toBe('jkl');
    expect(presentedKey(headers({}), {})).toBeNull();
  });
});
