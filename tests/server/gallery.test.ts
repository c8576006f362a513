/**
 * The identity gallery through the real API: a server with real models, SQLite in a temporary data
 * directory, faces cropped from a group photo (five different people) that ships with face-api.
 * Enrollment with partial success, 1:1 and 1:N, erasure, scopes, typed errors, parallel writers, restart.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { gradientJpeg } from '../support/images.js';
import { readSample } from '../support/fixtures.js';
import { startTestServer, stopAll, tempDataDir } from './helpers.js';
import { once, wsClient } from './live-client.js';
import {
  call,
  codeOf,
  CREATE_GALLERY,
  CREATE_KEY,
  CREATE_SUBJECT,
  DELETE_SUBJECT,
  ENROLL,
  faceCrops,
  GALLERY,
  IDENTIFY,
  images,
  variant,
  VERIFY_FACE,
} from './gallery-client.js';

const ADMIN = 'test-admin-key-0123456789abcdef';
const dataDir = tempDataDir();

let server: RunningServer;
let url: string;
let crops: Buffer[];
let galleryId: string;
const subjects: string[] = [];

interface Enrollment {
  enrollFaces: {
    subject: { id: string; templateCount: number };
    enrolled: { index: number; template: { id: string; model: string; hasImage: boolean; quality: Record<string, number> } }[];
    rejected: { index: number; reason: string; message: string; qualityIssues: { check: string; value: number; limit: number }[]; conflictingSubject: { id: string } | null }[];
  };
}

interface Identify {
  identifyFace: {
    decision: string;
    subject: { id: string } | null;
    candidates: { rank: number; similarity: number; subject: { id: string } }[];
    threshold: number;
    margin: number | null;
    method: string;
    subjectsSearched: number;
  };
}

async function start(): Promise<RunningServer> {
  return startTestServer({ FACEGATE_DATA_DIR: dataDir, FACEGATE_ADMIN_KEY: ADMIN, FACEGATE_ENROLL_MAX_IMAGES: '6' });
}

async function createSubject(externalId: string, key = ADMIN): Promise<string> {
  const r = await call<{ createSubject: { id: string } }>(url, key, CREATE_SUBJECT, { galleryId, input: { externalId, displayName: externalId.toUpperCase(), metadata: { team: 'test' } } });
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.createSubject.id;
}

beforeAll(async () => {
  server = await start();
  url = server.url;
  crops = await faceCrops(async (bytes) => (await server.inference.detect(bytes)).faces);
  expect(crops.length).toBe(5);
  const g = await call<{ createGallery: { id: string; matchPolicy: Record<string, number> } }>(url, ADMIN, CREATE_GALLERY, { input: { name: 'staff' } });
  expect(g.body.errors).toBeUndefined();
  galleryId = g.body.data!.createGallery.id;
  for (let i = 0; i < 3; i++) subjects.push(await createSubject(`person-${i}`));
});

afterAll(async () => {
  await stopAll();
});

describe('enrollment', () => {
  it('enrolls good faces and rejects the others, each with its reason', async () => {
    const tiny = await sharp(crops[0]!).resize({ height: 48 }).jpeg().toBuffer();
    const blurred = await sharp(crops[0]!).blur(6).jpeg().toBuffer();
    const r = await call<Enrollment>(url, ADMIN, ENROLL, { subjectId: subjects[0] }, images([
      { bytes: crops[0]!, name: 'good.jpg' },
      { bytes: await gradientJpeg(), name: 'noface.jpg' },
      { bytes: readSample(3), name: 'group.jpg' },
      { bytes: Buffer.from('definitely not an image'), name: 'junk.jpg' },
      { bytes: tiny, name: 'tiny.jpg' },
      { bytes: blurred, name: 'blurred.jpg' },
    ]));
    expect(r.body.errors).toBeUndefined();
    const result = r.body.data!.enrollFaces;
    expect(result.enrolled.map((e) => e.index)).toEqual([0]);
    expect(result.enrolled[0]!.template).toMatchObject({ model: 'dlib-resnet-v1', hasImage: false });
    expect(result.enrolled[0]!.template.quality['faceSize']).toBeGreaterThan(80);
    const reasons = Object.fromEntries(result.rejected.map((x) => [x.index, x.reason]));
    expect(reasons).toEqual({ 1: 'NO_FACE', 2: 'MULTIPLE_FACES', 3: 'BAD_IMAGE', 4: 'LOW_QUALITY', 5: 'LOW_QUALITY' });
    const tinyIssues = result.rejected.find((x) => x.index === 4)!.qualityIssues;
    expect(tinyIssues.map((i) => i.check)).toContain('FACE_SIZE');
    const blurIssues = result.rejected.find((x) => x.index === 5)!.qualityIssues;
    expect(blurIssues.map((i) => i.check)).toContain('SHARPNESS');
    expect(result.subject.templateCount).toBe(1);
  });

  it('enrolls the other subjects, and refuses a face that is already someone else (DUPLICATE_IDENTITY)', async () => {
    for (const i of [1, 2]) {
      const r = await call<Enrollment>(url, ADMIN, ENROLL, { subjectId: subjects[i] }, images([{ bytes: crops[i]! }]));
      expect(r.body.data?.enrollFaces.enrolled).toHaveLength(1);
    }
    const dup = await call<Enrollment>(url, ADMIN, ENROLL, { subjectId: subjects[1] }, images([{ bytes: await variant(crops[0]!) }]));
    expect(dup.body.data?.enrollFaces.enrolled).toHaveLength(0);
    expect(dup.body.data?.enrollFaces.rejected[0]).toMatchObject({ reason: 'DUPLICATE_IDENTITY', conflictingSubject: { id: subjects[0] } });
  });
});

describe('search', () => {
  it('identifies an enrolled person (MATCH) and rejects a stranger (NO_MATCH)', async () => {
    const known = await call<Identify>(url, ADMIN, IDENTIFY, { galleryId, topK: 3 }, { probe: { bytes: await variant(crops[1]!) } });
    expect(known.body.errors).toBeUndefined();
    const id = known.body.data!.identifyFace;
    expect(id.decision).toBe('MATCH');
    expect(id.subject?.id).toBe(subjects[1]);
    expect(id.candidates[0]!.similarity).toBeGreaterThanOrEqual(id.threshold);
    expect(id.candidates.map((c) => c.rank)).toEqual([1, 2, 3]);
    expect(id.margin).toBeCloseTo(id.candidates[0]!.similarity - id.candidates[1]!.similarity, 6);
    expect(id).toMatchObject({ method: 'EXACT', subjectsSearched: 3 });

    const stranger = await call<Identify>(url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: crops[4]! } });
    expect(stranger.body.data!.identifyFace.decision).toBe('NO_MATCH');
    expect(stranger.body.data!.identifyFace.subject).toBeNull();
  });

  it('verifies a probe against all templates of a subject', async () => {
    const same = await call<{ verifyFace: { match: boolean; similarity: number; templatesCompared: number; threshold: number } }>(url, ADMIN, VERIFY_FACE, { subjectId: subjects[2] }, { probe: { bytes: await variant(crops[2]!) } });
    expect(same.body.data?.verifyFace).toMatchObject({ match: true, templatesCompared: 1 });
    const other = await call<{ verifyFace: { match: boolean; similarity: number } }>(url, ADMIN, VERIFY_FACE, { subjectId: subjects[2] }, { probe: { bytes: crops[3]! } });
    expect(other.body.data?.verifyFace.match).toBe(false);
  });

  it('counts identifications, enrollments and indexed templates in /metrics', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/facegate_gallery_identifications_total\{decision="MATCH",method="EXACT"\} [1-9]/);
    expect(text).toMatch(/facegate_gallery_identifications_total\{decision="NO_MATCH",method="EXACT"\} [1-9]/);
    expect(text).toMatch(/facegate_gallery_enrollment_images_total\{outcome="DUPLICATE_IDENTITY"\} 1/);
    expect(text).toMatch(/facegate_gallery_indexed_templates 3/);
  });

  it('lists subjects as a Relay connection, page by page', async () => {
    const first = await call<{ gallery: { subjectCount: number; templateCount: number; indexedTemplates: number; subjects: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { id: string } }[] } } }>(url, ADMIN, GALLERY, { id: galleryId, first: 2 });
    const g = first.body.data!.gallery;
    expect(g.subjects.totalCount).toBe(g.subjectCount);
    expect(g.indexedTemplates).toBe(g.templateCount);
    expect(g.subjects.edges).toHaveLength(2);
    expect(g.subjects.pageInfo.hasNextPage).toBe(true);
    const next = await call<{ gallery: { subjects: { edges: { node: { id: string } }[] } } }>(url, ADMIN, GALLERY, { id: galleryId, first: 2, after: g.subjects.pageInfo.endCursor });
    const ids = [...g.subjects.edges, ...next.body.data!.gallery.subjects.edges].map((e) => e.node.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 3)).toEqual(subjects);
  });
});

describe('live', () => {
  it('verifies frames against a subject and names who is in front of the camera', async () => {
    const { createClient } = await import('graphql-ws');
    const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: (await import('ws')).default, retryAttempts: 0, lazy: false, connectionParams: { apiKey: ADMIN } });
    const frame = (await variant(crops[1]!)).toString('base64');
    const stranger = crops[4]!.toString('base64');
    const run = async (args: string, frames: string[]) => {
      const started = await once<{ startGalleryLiveSession: { id: string; threshold: number } }>(client, `mutation { startGalleryLiveSession(${args}) { id threshold galleryId subject { id } } }`, {});
      expect(started.errors, JSON.stringify(started.errors)).toBeUndefined();
      const id = started.data!.startGalleryLiveSession.id;
      const results: { similarity: number | null; match: boolean | null; identity: { decision: string; frames: number; subject: { id: string } | null } | null }[] = [];
      let failure: unknown = null;
      const done = new Promise<void>((resolve, reject) => {
        client.subscribe<{ liveVerification: (typeof results)[number] }>(
          { query: 'subscription($id: ID!) { liveVerification(sessionId: $id) { sequence similarity match identity { decision frames similarity margin subject { id } } } }', variables: { id } },
          {
            next: (v) => {
              if (v.data) results.push(v.data.liveVerification);
              if (results.length === frames.length) resolve();
            },
            error: (e) => {
              failure = e;
              reject(new Error(JSON.stringify(e)));
            },
            complete: () => resolve(),
          },
        );
      });
      for (const f of frames) {
        // One frame at a time: latest-frame-wins would drop frames sent faster than they are analysed.
        const before = results.length;
        const sent = await once(client, 'mutation($id: ID!, $f: String!) { submitFrame(sessionId: $id, frame: $f) { accepted } }', { id, f });
        expect(sent.errors, JSON.stringify(sent.errors)).toBeUndefined();
        for (let waited = 0; results.length === before; waited += 20) {
          if (failure || waited > 20_000) throw new Error(`no result: ${JSON.stringify(failure)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      await done;
      await once(client, 'mutation($id: ID!) { stopLiveSession(sessionId: $id) }', { id });
      return results;
    };
    try {
      // Plain frame-by-frame verification: the movement challenge, on by default against a subject, turned off.
      const verified = await run(`subjectId: "${subjects[1]}", challenge: false`, [frame, stranger]);
      expect(verified.map((r) => r.match)).toEqual([true, false]);
      expect(verified[0]!.identity).toBeNull();
      const identified = await run(`galleryId: "${galleryId}"`, [frame, frame, frame]);
      expect(identified.map((r) => r.identity?.frames)).toEqual([1, 2, 3]);
      expect(identified.at(-1)!.identity).toMatchObject({ decision: 'MATCH', subject: { id: subjects[1] } });
      const unknown = await run(`galleryId: "${galleryId}"`, [stranger, stranger]);
      expect(unknown.at(-1)!.identity?.decision).toBe('NO_MATCH');
    } finally {
      await client.dispose();
    }
  });
});

describe('enrollment rules', () => {
  /** A 480x360 canvas with the given crops pasted at the given sizes and positions. */
  async function compose(parts: { crop: Buffer; height: number; left: number; top: number }[]): Promise<Buffer> {
    const layers = await Promise.all(parts.map(async (p) => ({ input: await sharp(p.crop).resize({ height: p.height }).toBuffer(), left: p.left, top: p.top })));
    return sharp({ create: { width: 480, height: 360, channels: 3, background: { r: 120, g: 120, b: 120 } } }).composite(layers).jpeg({ quality: 92 }).toBuffer();
  }

  it('refuses MULTIPLE_FACES exactly when the face selection calls its choice ambiguous, as embed reports it', async () => {
    const g = await call<{ createGallery: { id: string } }>(url, ADMIN, CREATE_GALLERY, { input: { name: 'selection-rule' } });
    const gid = g.body.data!.createGallery.id;
    const pair = await compose([
      { crop: crops[0]!, height: 200, left: 20, top: 80 },
      { crop: crops[1]!, height: 200, left: 260, top: 80 },
    ]);
    const bystander = await compose([
      { crop: crops[2]!, height: 300, left: 110, top: 30 },
      { crop: crops[3]!, height: 130, left: 350, top: 230 },
    ]);
    const embedded = [await server.inference.embed(pair), await server.inference.embed(bystander)];
    expect(embedded.map((e) => e.faceCount)).toEqual([2, 2]);
    expect(embedded.map((e) => e.selection.ambiguous)).toEqual([true, false]);
    const s = (await call<{ createSubject: { id: string } }>(url, ADMIN, CREATE_SUBJECT, { galleryId: gid, input: { externalId: 'sel' } })).body.data!.createSubject.id;
    const r = await call<Enrollment>(url, ADMIN, ENROLL, { subjectId: s }, images([{ bytes: pair }, { bytes: bystander }]));
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.enrollFaces.rejected.map((x) => [x.index, x.reason])).toEqual([[0, 'MULTIPLE_FACES']]);
    expect(r.body.data!.enrollFaces.enrolled.map((x) => x.index)).toEqual([1]);
    await call(url, ADMIN, 'mutation($id: ID!) { deleteGallery(id: $id) { galleryId } }', { id: gid });
  });
});

describe('access control', () => {
  it('needs a valid key for gallery operations; inference stays open', async () => {
    expect(codeOf(await call(url, null, GALLERY, { id: galleryId }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await call(url, 'fgk_AAAAAAAAAAAA_' + 'x'.repeat(43), GALLERY, { id: galleryId }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await call(url, 'garbage', GALLERY, { id: galleryId }))).toBe('UNAUTHENTICATED');
    const embed = await call(url, null, 'mutation($image: File!) { embed(image: $image) { dimensions } }', {}, { image: { bytes: crops[0]! } });
    expect(embed.body.errors).toBeUndefined();
  });

  it('scopes keys per gallery and per operation', async () => {
    const other = await call<{ createGallery: { id: string } }>(url, ADMIN, CREATE_GALLERY, { input: { name: 'visitors' } });
    const otherId = other.body.data!.createGallery.id;
    const made = await call<{ createApiKey: { key: string; apiKey: { id: string; prefix: string } } }>(url, ADMIN, CREATE_KEY, {
      input: { name: 'kiosk', grants: [{ galleryId, scopes: ['READ', 'IDENTIFY'] }] },
    });
    expect(made.body.errors).toBeUndefined();
    const kiosk = made.body.data!.createApiKey.key;
    expect(kiosk.startsWith(made.body.data!.createApiKey.apiKey.prefix)).toBe(true);

    const ok = await call<Identify>(url, kiosk, IDENTIFY, { galleryId }, { probe: { bytes: await variant(crops[1]!) } });
    expect(ok.body.data?.identifyFace.decision).toBe('MATCH');
    expect(codeOf(await call(url, kiosk, IDENTIFY, { galleryId: otherId }, { probe: { bytes: crops[1]! } }))).toBe('FORBIDDEN');
    expect(codeOf(await call(url, kiosk, DELETE_SUBJECT, { id: subjects[1] }))).toBe('FORBIDDEN');
    expect(codeOf(await call(url, kiosk, ENROLL, { subjectId: subjects[1] }, images([{ bytes: crops[1]! }])))).toBe('FORBIDDEN');
    expect(codeOf(await call(url, kiosk, CREATE_GALLERY, { input: { name: 'nope' } }))).toBe('FORBIDDEN');
    const visible = await call<{ galleries: { edges: { node: { id: string } }[] } }>(url, kiosk, '{ galleries { edges { node { id } } } }');
    expect(visible.body.data?.galleries.edges.map((e) => e.node.id)).toEqual([galleryId]);

    const revoked = await call(url, ADMIN, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: made.body.data!.createApiKey.apiKey.id });
    expect(revoked.body.errors).toBeUndefined();
    expect(codeOf(await call(url, kiosk, GALLERY, { id: galleryId }))).toBe('UNAUTHENTICATED');
  });

  it('takes the key from the WebSocket connection params', async () => {
    const anonymous = wsClient(url);
    const keyed = (await import('graphql-ws')).createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: (await import('ws')).default,
      retryAttempts: 0,
      connectionParams: { apiKey: ADMIN },
    });
    try {
      expect((await once<{ viewer: null }>(anonymous, '{ viewer { keyId } }', {})).data?.viewer).toBeNull();
      expect((await once<{ viewer: { keyId: string } }>(keyed, '{ viewer { keyId } }', {})).data?.viewer.keyId).toBe('bootstrap');
      const g = await once<{ gallery: { id: string } }>(keyed, 'query($id: ID!) { gallery(id: $id) { id } }', { id: galleryId });
      expect(g.data?.gallery.id).toBe(galleryId);
    } finally {
      await anonymous.dispose();
      await keyed.dispose();
    }
  });
});

describe('typed errors', () => {
  it('answers every bad input with a code', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const cases: [string, Promise<Parameters<typeof codeOf>[0]>, string][] = [
      ['unknown gallery', call(url, ADMIN, GALLERY, { id: unknown }), 'NOT_FOUND'],
      ['unknown subject', call(url, ADMIN, VERIFY_FACE, { subjectId: unknown }, { probe: { bytes: crops[0]! } }), 'NOT_FOUND'],
      ['identify in an unknown gallery', call(url, ADMIN, IDENTIFY, { galleryId: unknown }, { probe: { bytes: crops[0]! } }), 'NOT_FOUND'],
      ['delete an unknown subject', call(url, ADMIN, DELETE_SUBJECT, { id: unknown }), 'NOT_FOUND'],
      ['duplicate externalId', call(url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'person-0' } }), 'CONFLICT'],
      ['duplicate gallery name', call(url, ADMIN, CREATE_GALLERY, { input: { name: 'staff' } }), 'CONFLICT'],
      ['oversized batch', call(url, ADMIN, ENROLL, { subjectId: subjects[0] }, images(Array.from({ length: 7 }, () => ({ bytes: crops[0]! })))), 'LIMIT_EXCEEDED'],
      ['topK out of range', call(url, ADMIN, IDENTIFY, { galleryId, topK: 0 }, { probe: { bytes: crops[0]! } }), 'BAD_REQUEST'],
      ['probe without a face', call(url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: await gradientJpeg() } }), 'NO_FACE'],
      ['bad threshold in a policy', call(url, ADMIN, CREATE_GALLERY, { input: { name: 'bad', matchPolicy: { identifyThreshold: 3 } } }), 'BAD_REQUEST'],
      ['malformed cursor', call(url, ADMIN, GALLERY, { id: galleryId, after: 'zzz' }), 'BAD_REQUEST'],
      ['metadata that is not an object', call(url, ADMIN, CREATE_SUBJECT, { galleryId, input: { metadata: [1, 2] } }), 'BAD_REQUEST'],
    ];
    for (const [name, response, code] of cases) expect(`${name}: ${codeOf(await response)}`).toBe(`${name}: ${code}`);
  });
});

describe('writers and erasure', () => {
  it('loses nothing under parallel writers', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => createSubject(`parallel-${i}`)));
    expect(new Set(ids).size).toBe(12);
    const face = await variant(crops[3]!);
    const enrolls = await Promise.all(
      Array.from({ length: 6 }, () => call<Enrollment>(url, ADMIN, ENROLL, { subjectId: ids[0] }, images([{ bytes: face }]))),
    );
    expect(enrolls.map((e) => e.body.data?.enrollFaces.enrolled.length)).toEqual([1, 1, 1, 1, 1, 1]);
    const rows = await server.gallery.store.countSubjectRows(ids[0]!);
    expect(rows).toEqual({ subjects: 1, templates: 6, images: 0 });
    expect(server.gallery.indexedTemplates(galleryId, ids[0]!)).toHaveLength(6);
    const counts = await server.gallery.store.countGallery(galleryId);
    expect(counts.subjects).toBe(3 + 12);
  });

  it('deleteSubject leaves no row, vector or index entry', async () => {
    const id = (await call<{ subjectByExternalId: { id: string } }>(url, ADMIN, 'query($g: ID!) { subjectByExternalId(galleryId: $g, externalId: "parallel-0") { id } }', { g: galleryId })).body.data!.subjectByExternalId.id;
    const erased = await call<{ deleteSubject: { subjectId: string; templatesErased: number; imagesErased: number } }>(url, ADMIN, DELETE_SUBJECT, { id });
    expect(erased.body.data?.deleteSubject).toMatchObject({ subjectId: id, templatesErased: 6, imagesErased: 0 });
    expect(await server.gallery.store.countSubjectRows(id)).toEqual({ subjects: 0, templates: 0, images: 0 });
    expect(server.gallery.indexedTemplates(galleryId, id)).toEqual([]);
    const search = await call<Identify>(url, ADMIN, IDENTIFY, { galleryId, topK: 10 }, { probe: { bytes: crops[3]! } });
    expect(search.body.data?.identifyFace.candidates.map((c) => c.subject.id)).not.toContain(id);
    expect(search.body.data?.identifyFace.decision).toBe('NO_MATCH');
  });

  it('exports and imports a gallery (templates, never images)', async () => {
    const exported = await call<{ exportGallery: { format: string; subjects: { externalId: string; templates: unknown[] }[] } }>(url, ADMIN, 'query($id: ID!) { exportGallery(id: $id) }', { id: galleryId });
    expect(exported.body.data?.exportGallery.format).toBe('facegate-gallery/1');
    const copy = await call<{ createGallery: { id: string } }>(url, ADMIN, CREATE_GALLERY, { input: { name: 'staff-copy' } });
    const imported = await call<{ importGallery: { subjectsCreated: number; templatesImported: number; templatesSkipped: number } }>(url, ADMIN, 'mutation($g: ID!, $d: JSON!) { importGallery(galleryId: $g, data: $d) { subjectsCreated templatesImported templatesSkipped } }', {
      g: copy.body.data!.createGallery.id,
      d: exported.body.data!.exportGallery,
    });
    const templates = exported.body.data!.exportGallery.subjects.reduce((n, s) => n + s.templates.length, 0);
    expect(imported.body.data?.importGallery).toEqual({ subjectsCreated: exported.body.data!.exportGallery.subjects.length, templatesImported: templates, templatesSkipped: 0 });
    const found = await call<Identify>(url, ADMIN, IDENTIFY, { galleryId: copy.body.data!.createGallery.id }, { probe: { bytes: await variant(crops[2]!) } });
    expect(found.body.data?.identifyFace.decision).toBe('MATCH');
  });
});

describe('restart', () => {
  it('keeps galleries, subjects, templates and keys, and identifies as before', async () => {
    const before = await call<{ gallery: { subjectCount: number; templateCount: number } }>(url, ADMIN, GALLERY, { id: galleryId });
    await server.stop('restart test');
    server = await start();
    url = server.url;
    const after = await call<{ gallery: { subjectCount: number; templateCount: number; indexedTemplates: number } }>(url, ADMIN, GALLERY, { id: galleryId });
    expect(after.body.data?.gallery).toMatchObject(before.body.data!.gallery);
    expect(after.body.data?.gallery.indexedTemplates).toBe(before.body.data!.gallery.templateCount);
    const id = await call<Identify>(url, ADMIN, IDENTIFY, { galleryId }, { probe: { bytes: await variant(crops[0]!) } });
    expect(id.body.data?.identifyFace).toMatchObject({ decision: 'MATCH', subject: { id: subjects[0] } });
  });
});
