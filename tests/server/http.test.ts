/**
 * The API end to end: a real server listening on an ephemeral port, 2 inference workers running the real
 * models on the default backend (onnxruntime here), and a real HTTP client sending GraphQL multipart requests.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { RunningServer } from '../../server/app.js';
import { hasLfw, lfwSkipReason, readSample } from '../support/fixtures.js';
import { gradientJpeg, hugePngHeader } from '../support/images.js';
import {
  DETECT,
  EMBED,
  errorCodes,
  GENUINE,
  gql,
  IMPOSTOR,
  lfw,
  startTestServer,
  stopAll,
  upload,
  VERIFY,
  type GqlResponse,
} from './helpers.js';

interface Point {
  x: number;
  y: number;
}
interface ApiFace {
  score: number;
  box: { x: number; y: number; width: number; height: number };
  landmarks: Record<'leftEye' | 'rightEye' | 'nose' | 'mouthLeft' | 'mouthRight', Point>;
}
interface VerifyData {
  verify: {
    similarity: number;
    distance: number;
    threshold: number;
    match: boolean;
    model: string;
    reference: { faceCount: number; face: ApiFace; image: { width: number; height: number; format: string }; timings: Record<string, number | null> };
    probe: { faceCount: number; face: ApiFace };
    timings: { compareMs: number; totalMs: number };
  };
}

let server: RunningServer;
let url: string;
let noFace: Buffer;
/** sample2.jpg scaled to 480 px wide: two faces, fast to detect. */
let smallPhoto: Buffer;

beforeAll(async () => {
  server = await startTestServer({
    // Small limits so that the limit tests need small files: 4 MP, 2 MiB per upload.
    FACEGATE_MAX_PIXELS: '4000000',
    FACEGATE_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
    FACEGATE_MAX_FILES: '2',
  });
  url = server.url;
  noFace = await gradientJpeg(320, 240);
  smallPhoto = await sharp(readSample(2)).resize(480).jpeg().toBuffer();
});

afterAll(async () => {
  await stopAll();
});

function expectLandmarksInBox(face: ApiFace): void {
  const { x, y, width, height } = face.box;
  for (const name of ['leftEye', 'rightEye', 'nose', 'mouthLeft', 'mouthRight'] as const) {
    const p = face.landmarks[name];
    expect(p.x, name).toBeGreaterThanOrEqual(x);
    expect(p.x, name).toBeLessThanOrEqual(x + width);
    expect(p.y, name).toBeGreaterThanOrEqual(y);
    expect(p.y, name).toBeLessThanOrEqual(y + height);
  }
  expect(face.landmarks.leftEye.x).toBeLessThan(face.landmarks.rightEye.x);
}

function verifyPair(pair: typeof GENUINE, extra: { threshold?: number } = {}): Promise<GqlResponse<VerifyData>> {
  const [[a, i], [b, j]] = pair;
  return upload<VerifyData>(url, VERIFY, { reference: lfw(a, i), probe: lfw(b, j) }, { variables: extra });
}

describe('operations endpoints', () => {
  it('answers /healthz, /readyz (every worker loaded) and /metrics', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', workers: { size: 2, ready: 2 } });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    for (const name of [
      'facegate_graphql_requests_total',
      'facegate_stage_duration_seconds',
      'facegate_pool_queue_depth',
      'facegate_pool_worker_restarts_total',
      'facegate_pool_workers',
      'facegate_process_resident_memory_bytes',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('serves GraphiQL to browsers at /graphql', async () => {
    const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
  });

  it('reports backend, model, threshold and workers in Query.info and Query.health', async () => {
    const response = await gql<{ info: Record<string, unknown>; health: Record<string, unknown> }>(
      url,
      '{ info { version backend model { name dimensions inputSize } detector defaultThreshold workers limits { maxUploadBytes maxPixels maxFilesPerRequest } } health { status ready workers { size ready busy queued restarts } } }',
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.info).toMatchObject({
      // auto: no TF.js native backend is installed, so onnxruntime
      backend: 'onnxruntime',
      model: { name: 'dlib-resnet-v1', dimensions: 128, inputSize: 150 },
      detector: 'mtcnn',
      workers: 2,
      limits: { maxUploadBytes: 2 * 1024 * 1024, maxPixels: 4_000_000, maxFilesPerRequest: 2 },
    });
    expect(typeof response.body.data?.info['defaultThreshold']).toBe('number');
    expect(response.body.data?.health).toMatchObject({ status: 'ok', ready: true, workers: { size: 2, ready: 2 } });
  });

  it('echoes a sane x-request-id and makes one up otherwise', async () => {
    const mine = await gql(url, '{ health { ready } }', {}, { 'x-request-id': 'test-123' });
    expect(mine.headers.get('x-request-id')).toBe('test-123');
    const made = await gql(url, '{ health { ready } }', {}, { 'x-request-id': 'bad id with spaces' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends no CORS headers unless configured', async () => {
    const response = await fetch(`${url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs queries over graphql-ws on the same port and path', async () => {
    const client = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let value: unknown;
        client.subscribe({ query: '{ health { ready workers { size } } }' }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
      });
      expect(result).toEqual({ data: { health: { ready: true, workers: { size: 2 } } } });
    } finally {
      await client.dispose();
    }
  });
});

describe('detect, embed, verify', () => {
  it('detect on a sample photo returns every face with 5 landmarks inside its box', async () => {
    // sample2.jpg is 1920x1367: over this server's 4 MP limit? 2.6 MP, under it.
    const response = await upload<{ detect: { faceCount: number; faces: ApiFace[]; image: Record<string, unknown>; detector: string; timings: Record<string, number | null> } }>(
      url,
      DETECT,
      { image: { bytes: readSample(2), name: 'sample2.jpg' } },
    );
    expect(response.body.errors).toBeUndefined();
    const detect = response.body.data!.detect;
    expect(detect.image).toEqual({ width: 1920, height: 1367, format: 'jpeg' });
    expect(detect.detector).toBe('mtcnn');
    expect(detect.faceCount).toBe(2); // counted by eye (tests/models/mtcnn.test.ts)
    expect(detect.faces).toHaveLength(2);
    for (const face of detect.faces) {
      expect(face.score).toBeGreaterThan(0.7);
      expectLandmarksInBox(face);
    }
    expect(detect.timings.detectMs).toBeGreaterThan(0);
    expect(detect.timings.decodeMs).toBeGreaterThan(0);
    expect(detect.timings.alignMs).toBeNull();
  });

  it('detect on an image without a face returns no faces (not an error)', async () => {
    const response = await upload<{ detect: { faceCount: number } }>(url, DETECT, { image: { bytes: noFace } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.detect.faceCount).toBe(0);
  });

  describe.skipIf(!hasLfw)(`with LFW (${hasLfw ? 'found' : lfwSkipReason})`, () => {
    it('embed gives 128 floats of unit length, and the model name', async () => {
      const response = await upload<{ embed: { vector: number[]; dimensions: number; model: string; faceCount: number } }>(url, EMBED, {
        image: lfw('Aaron_Peirsol', 1),
      });
      expect(response.body.errors).toBeUndefined();
      const embed = response.body.data!.embed;
      expect(embed.vector).toHaveLength(128);
      expect(embed.dimensions).toBe(128);
      expect(embed.model).toBe('dlib-resnet-v1');
      expect(embed.faceCount).toBe(1);
      const norm = Math.sqrt(embed.vector.reduce((s, v) => s + v * v, 0));
      expect(norm).toBeCloseTo(1, 4);
    });

    it('verify on a genuine LFW pair gives match: true, with both faces, counts, threshold, model and timings', async () => {
      const response = await verifyPair(GENUINE);
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      const v = response.body.data!.verify;
      expect(v.match).toBe(true);
      expect(v.similarity).toBeGreaterThanOrEqual(v.threshold);
      expect(v.distance).toBeCloseTo(1 - v.similarity, 10);
      expect(v.model).toBe('dlib-resnet-v1');
      expect(v.threshold).toBe(server.config.verify.threshold);
      expect(v.reference.faceCount).toBe(1);
      expect(v.probe.faceCount).toBe(1);
      expect(v.reference.image).toEqual({ width: 250, height: 250, format: 'jpeg' });
      expectLandmarksInBox(v.reference.face);
      expectLandmarksInBox(v.probe.face);
      for (const stage of ['decodeMs', 'queueMs', 'detectMs', 'alignMs', 'embedMs', 'totalMs']) {
        expect(v.reference.timings[stage], stage).toBeTypeOf('number');
      }
      expect(v.timings.totalMs).toBeGreaterThan(0);
    });

    it('verify on an impostor LFW pair gives match: false', async () => {
      const response = await verifyPair(IMPOSTOR);
      expect(response.body.errors).toBeUndefined();
      const v = response.body.data!.verify;
      expect(v.match).toBe(false);
      expect(v.similarity).toBeLessThan(v.threshold);
    });

    it('verify uses the threshold argument when given', async () => {
      const response = await verifyPair(IMPOSTOR, { threshold: -1 });
      expect(response.body.data?.verify).toMatchObject({ threshold: -1, match: true });
    });

    it('analyses a video frame for live sessions: a face gives an embedding, no face is a result, not an error', async () => {
      const withFace = await server.inference.analyseFrame(lfw('Aaron_Peirsol', 1).bytes);
      expect(withFace.faces).toHaveLength(1);
      expect(withFace.face).toEqual(withFace.faces[0]);
      expect(withFace.embedding).toHaveLength(128);
      expect(withFace.timings.embedMs).toBeGreaterThan(0);
      const without = await server.inference.analyseFrame(noFace);
      expect(without).toMatchObject({ faces: [], face: null, embedding: null, image: { width: 320, height: 240 } });
      await expect(server.inference.analyseFrame(Buffer.from('not an image'))).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    });

    it('16 concurrent verify requests all succeed with 2 workers', async () => {
      const t0 = performance.now();
      const responses = await Promise.all(Array.from({ length: 16 }, () => verifyPair(GENUINE)));
      const elapsed = performance.now() - t0;
      for (const r of responses) {
        expect(r.body.errors).toBeUndefined();
        expect(r.body.data?.verify.match).toBe(true);
      }
      const similarities = new Set(responses.map((r) => r.body.data!.verify.similarity.toFixed(6)));
      expect(similarities.size).toBe(1); // deterministic whichever worker ran it
      expect(elapsed).toBeLessThan(30_000);
    });

    it('keeps the event loop responsive while a batch of inference runs: /healthz answers at once', async () => {
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      let done = false;
      const batch = Promise.all(Array.from({ length: 8 }, () => verifyPair(GENUINE))).finally(() => {
        done = true;
      });
      const healthLatencies: number[] = [];
      while (!done) {
        const t0 = performance.now();
        const response = await fetch(`${url}/healthz`);
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        healthLatencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
      delay.disable();
      const results = await batch;
      expect(results.every((r) => r.body.data?.verify.match === true)).toBe(true);
      expect(healthLatencies.length).toBeGreaterThanOrEqual(5);
      healthLatencies.sort((a, b) => a - b);
      // The server shares this process: its event loop is this one. Inference runs elsewhere.
      expect(healthLatencies[Math.floor(healthLatencies.length / 2)]!).toBeLessThan(50);
      expect(healthLatencies.at(-1)!).toBeLessThan(250);
      expect(delay.percentile(99) / 1e6).toBeLessThan(100);
    });
  });
});

describe('bad input gets its code', () => {
  const cases: { name: string; send: () => Promise<GqlResponse>; code: string; argument?: string; status?: number }[] = [
    {
      name: 'BAD_IMAGE: bytes that claim to be a JPEG but are not one',
      send: () => upload(url, DETECT, { image: { bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 7)]) } }),
      code: 'BAD_IMAGE',
    },
    {
      name: 'BAD_IMAGE: an empty file',
      send: () => upload(url, DETECT, { image: { bytes: new Uint8Array(0) } }),
      code: 'BAD_IMAGE',
    },
    {
      name: 'UNSUPPORTED_FORMAT: a text file',
      send: () => upload(url, DETECT, { image: { bytes: Buffer.from('hello, this is not an image\n'.repeat(20)), type: 'text/plain', name: 'a.txt' } }),
      code: 'UNSUPPORTED_FORMAT',
    },
    {
      name: 'UNSUPPORTED_FORMAT: an SVG',
      send: () =>
        upload(url, EMBED, {
          image: { bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="40"/></svg>'), type: 'image/svg+xml' },
        }),
      code: 'UNSUPPORTED_FORMAT',
    },
    {
      name: 'IMAGE_TOO_LARGE: more pixels than allowed (from the header)',
      send: () => upload(url, DETECT, { image: { bytes: hugePngHeader(3000, 2000), type: 'image/png' } }),
      code: 'IMAGE_TOO_LARGE',
    },
    {
      name: 'IMAGE_TOO_LARGE: a file over the upload limit',
      send: () => upload(url, DETECT, { image: { bytes: Buffer.alloc(3 * 1024 * 1024, 1) } }),
      code: 'IMAGE_TOO_LARGE',
    },
    {
      name: 'NO_FACE: embed of an image without a face',
      send: () => upload(url, EMBED, { image: { bytes: noFace } }),
      code: 'NO_FACE',
    },
    {
      name: 'NO_FACE: verify names the image without a face',
      send: () => upload(url, VERIFY, { reference: { bytes: smallPhoto }, probe: { bytes: noFace } }),
      code: 'NO_FACE',
      argument: 'probe',
    },
    {
      name: 'BAD_IMAGE: verify names the broken image',
      send: () => upload(url, VERIFY, { reference: { bytes: Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2]) }, probe: { bytes: noFace } }),
      code: 'BAD_IMAGE',
      argument: 'reference',
    },
    {
      name: 'BAD_REQUEST: a missing file',
      send: () => upload(url, VERIFY, { reference: { bytes: noFace } }),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: an extra file for an undeclared variable',
      send: () => upload(url, DETECT, { image: { bytes: noFace }, extra: { bytes: noFace } }),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: more files than allowed per request',
      send: () => upload(url, VERIFY, { reference: { bytes: noFace }, probe: { bytes: noFace }, third: { bytes: noFace } }),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: a file variable sent as JSON instead of an upload',
      send: () => gql(url, DETECT, { image: 'data:image/jpeg;base64,AAAA' }),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: a query over the depth limit',
      send: () => gql(url, '{ __type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }'),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: too many aliases',
      send: () => gql(url, `{ ${Array.from({ length: 8 }, (_, i) => `h${i}: health { ready }`).join(' ')} }`),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: two inference fields in one operation',
      send: () =>
        upload(url, 'mutation($image: File!) { a: detect(image: $image) { faceCount } b: detect(image: $image) { faceCount } }', { image: { bytes: noFace } }),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: a threshold outside [-1, 1]',
      send: () => upload(url, VERIFY, { reference: { bytes: noFace }, probe: { bytes: noFace } }, { variables: { threshold: 2 } }),
      code: 'BAD_REQUEST',
      argument: 'threshold',
    },
    {
      name: 'BAD_REQUEST: a syntax error',
      send: () => gql(url, '{ health { ready '),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: an unknown field',
      send: () => gql(url, '{ nope }'),
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: a batch (array) of operations',
      send: async () => {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ query: '{ health { ready } }' }, { query: '{ health { ready } }' }]),
        });
        return { status: response.status, headers: response.headers, body: (await response.json()) as GqlResponse['body'], ms: 0 };
      },
      code: 'BAD_REQUEST',
    },
    {
      name: 'BAD_REQUEST: a mutation over GET',
      send: async () => {
        const response = await fetch(`${url}/graphql?query=${encodeURIComponent('mutation { __typename }')}`, { headers: { accept: 'application/json' } });
        return { status: response.status, headers: response.headers, body: (await response.json()) as GqlResponse['body'], ms: 0 };
      },
      code: 'BAD_REQUEST',
      status: 405,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const response = await c.send();
      const errors = response.body.errors ?? [];
      expect(errors.length, JSON.stringify(response.body)).toBeGreaterThan(0);
      expect(errorCodes(response)).toEqual(errors.map(() => c.code));
      if (c.argument) expect(errors[0]?.extensions?.argument).toBe(c.argument);
      const text = JSON.stringify(response.body);
      expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
      expect(text).not.toContain('stack');
      expect(text).not.toContain('"http"');
      if (c.code === 'BAD_REQUEST') expect(response.status).toBe(c.status ?? 400);
      if (c.code === 'IMAGE_TOO_LARGE' && response.body.data === undefined) expect(response.status).toBe(413);
    });
  }

  it('/healthz still answers after all of them, and the pool lost no worker', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(server.pool.stats().restarts).toBe(0);
  });

  it('counts requests by operation and outcome in /metrics', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/facegate_graphql_requests_total\{operation="detect",outcome="BAD_IMAGE"\} [1-9]/);
    expect(text).toMatch(/facegate_graphql_requests_total\{operation="embed",outcome="NO_FACE"\} [1-9]/);
    expect(text).toMatch(/facegate_graphql_requests_total\{operation="none",outcome="BAD_REQUEST"\} [1-9]/);
    expect(text).toMatch(/facegate_stage_duration_seconds_count\{stage="decode"\} [1-9]/);
    expect(text).toMatch(/facegate_stage_duration_seconds_count\{stage="detect"\} [1-9]/);
  });
});

describe('a client that goes away', () => {
  it('takes its queued job out of the queue', async () => {
    const idleBy = Date.now() + 15_000;
    while (server.pool.stats().busy > 0 && Date.now() < idleBy) await new Promise((r) => setTimeout(r, 10));
    // Both workers busy with full-size photos, then a third request waits in the queue.
    const busy = [0, 1].map(() => upload(url, DETECT, { image: { bytes: readSample(2) } }));
    const controller = new AbortController();
    const queued = upload(url, DETECT, { image: { bytes: readSample(2) } }, { signal: controller.signal }).catch((e: unknown) => e);
    const deadline = Date.now() + 10_000;
    while (server.pool.stats().queued === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(server.pool.stats()).toMatchObject({ busy: 2, queued: 1 });
    controller.abort();
    expect(await queued).toBeInstanceOf(Error);
    const gone = Date.now() + 2_000;
    while (server.pool.stats().queued > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 5));
    expect(server.pool.stats().queued).toBe(0);
    expect(server.pool.stats().busy).toBe(2); // the running jobs are not affected
    for (const r of await Promise.all(busy)) expect(r.body.errors).toBeUndefined();
  });
});

describe('a worker that dies', () => {
  it('killing a worker mid-request gives that request an error, and the next request succeeds', async () => {
    // Start from an idle pool, so that the busy worker is surely the one running this request.
    const idleBy = Date.now() + 10_000;
    while (server.pool.stats().busy > 0 && Date.now() < idleBy) await new Promise((r) => setTimeout(r, 10));
    expect(server.pool.stats()).toMatchObject({ busy: 0, queued: 0 });
    // A detect on a 1920-px photo keeps a worker busy for a second or more: plenty of time to kill it.
    const inFlight = upload(url, DETECT, { image: { bytes: readSample(2) } });
    const deadline = Date.now() + 10_000;
    let busy: number | undefined;
    while (busy === undefined && Date.now() < deadline) {
      busy = server.pool.stats().workers.find((w) => w.state === 'busy')?.id;
      if (busy === undefined) await new Promise((r) => setTimeout(r, 5));
    }
    expect(busy).toBeDefined();
    await server.pool.killWorker(busy!);
    const failed = await inFlight;
    expect(errorCodes(failed)).toEqual(['INTERNAL']);
    expect(failed.body.errors?.[0]?.message).toBe('Internal server error');
    expect(JSON.stringify(failed.body)).not.toContain('worker'); // details stay in the logs

    const next = await upload<{ detect: { faceCount: number } }>(url, DETECT, { image: { bytes: readSample(2) } });
    expect(next.body.errors).toBeUndefined();
    expect(next.body.data?.detect.faceCount).toBe(2);
    // The replacement loads its models and the server is fully ready again.
    const until = Date.now() + 30_000;
    while (!server.pool.ready && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('facegate_pool_worker_restarts_total{reason="crash"} 1');
  });
});
