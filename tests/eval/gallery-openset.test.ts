/**
 * The gallery evaluation's shortcut is exact: an open-set run on cached embeddings (each image embedded
 * once through the enrollment path, then GalleryService.enrollEmbedded and identifyEmbedding) answers
 * every enrollment and search as the same run through the GraphQL API does (enrollFaces and identifyFace,
 * each embedding its upload). Real server, real models, LFW View 1 images (skips without LFW).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GalleryApi } from '../../bench/gallery/api.js';
import { EmbeddingCache } from '../../bench/gallery/embeddings.js';
import { graphqlTarget, lfwFile, runOpenSet, type OpenSetProtocol } from '../../bench/gallery/openset.js';
import { serviceTarget } from '../../bench/gallery/service-target.js';
import { parsePeople } from '../../bench/lfw/protocol.js';
import type { RunningServer } from '../../server/app.js';
import { startTestServer, stopAll } from '../server/helpers.js';
import { hasLfw, lfwDir, lfwSkipReason } from '../support/fixtures.js';

if (!hasLfw) console.warn(`[facegate tests] ${lfwSkipReason}`);

const KEY = 'openset-admin-key-0123456789abcdef';

describe.skipIf(!hasLfw)('open-set evaluation on cached embeddings', () => {
  let server: RunningServer;
  let protocol: OpenSetProtocol;

  beforeAll(async () => {
    server = await startTestServer({ FACEGATE_ADMIN_KEY: KEY });
    const people = parsePeople(readFileSync(path.join(lfwDir, 'peopleDevTrain.txt'), 'utf8'))[0]!;
    const known = people.filter((p) => p.count >= 3).slice(0, 12);
    const strangers = people.filter((p) => p.count === 1).slice(0, 10);
    protocol = {
      name: 'equivalence',
      gallery: known.map((p) => ({ person: p.name, file: lfwFile(lfwDir, p.name, 1) })),
      probes: [
        ...known.flatMap((p) => [2, 3].map((i) => ({ person: p.name, file: lfwFile(lfwDir, p.name, i) }))),
        ...strangers.map((p) => ({ person: null, file: lfwFile(lfwDir, p.name, 1) })),
      ],
    };
  });

  afterAll(async () => {
    await stopAll();
  });

  it('gives the same enrollments, decisions, candidates and similarities as the GraphQL API', async () => {
    const cache = EmbeddingCache.open('', lfwDir);
    const files = [...protocol.gallery.map((g) => g.file), ...protocol.probes.map((p) => p.file)];
    const filled = await cache.fill(server.gallery, files, { lanes: 4, deadline: Infinity });
    expect(filled).toMatchObject({ computed: files.length, left: 0 });

    const options = { concurrency: 4, fpirs: [0.1] };
    const viaApi = await runOpenSet(graphqlTarget(new GalleryApi(server.yoga, KEY)), protocol, options);
    const cached = await runOpenSet(serviceTarget(server.gallery, cache), protocol, options);

    expect(cached.report.enrolled).toBe(viaApi.report.enrolled);
    expect(cached.report.failedToEnroll).toEqual(viaApi.report.failedToEnroll);
    expect(cached.outcomes.length).toBe(viaApi.outcomes.length);
    expect(viaApi.outcomes.filter((o) => o.person !== null && o.decision === 'MATCH').length).toBeGreaterThan(0);
    cached.outcomes.forEach((o, i) => {
      const a = viaApi.outcomes[i]!;
      expect([o.person, o.decision, o.error, o.candidates.map((c) => c.person)]).toEqual([a.person, a.decision, a.error, a.candidates.map((c) => c.person)]);
      o.candidates.forEach((c, k) => expect(c.similarity).toBeCloseTo(a.candidates[k]!.similarity, 6));
    });
    expect(cached.report.rank1).toBe(viaApi.report.rank1);
    expect(cached.report.apiDecision).toEqual(viaApi.report.apiDecision);
  });
});
