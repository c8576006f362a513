import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import type { RunningServer } from '../../server/app.js';
import { hasLfw, lfwSkipReason } from '../support/fixtures.js';
import { lfw, startTestServer, stopAll, upload } from './helpers.js';
import { lfwBase64, lfwFrame, once, START_LIVE, SUBMIT, subscribeLive, wsClient } from './live-client.js';

const clients: Client[] = [];
function client(url: string): Client {
  const c = wsClient(url);
  clients.push(c);
  return c;
}

async function metric(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!hasLfw)('live verification over graphql-ws', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ FACEGATE_LIVE_MAX_SESSIONS: '3', FACEGATE_LIVE_MAX_SESSIONS_PER_CONNECTION: '3' });
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await stopAll();
  });

  it('matches frames of the reference person and not of another, with boxes in frame pixels', async () => {
    const ws = client(server.url);
    const started = await once<{ startLiveSession: { id: string; model: string; referenceFaceCount: number } }>(ws, START_LIVE, { ref: lfwBase64('George_W_Bush', 1) });
    expect(started.errors).toBeUndefined();
    const session = started.data!.startLiveSession;
    expect(session.model).toBe('dlib-resnet-v1');
    const live = subscribeLive(ws, session.id);
    const same = await once<{ submitFrame: { sequence: number } }>(ws, SUBMIT, { id: session.id, frame: await lfwFrame('George_W_Bush', 3, 60, 200) });
    expect(same.data!.submitFrame.sequence).toBe(1);
    await live.until((f) => f.length >= 1);
    await once(ws, SUBMIT, { id: session.id, frame: await lfwFrame('Colin_Powell', 1) });
    const [first, second] = await live.until((f) => f.length >= 2);
    expect(first).toMatchObject({ sequence: 1, match: true, error: null, image: { width: 640, height: 480 } });
    expect(second).toMatchObject({ sequence: 2, match: false, error: null });
    // The face of the first frame sits in the LFW image pasted at (60, 200): its box and landmarks are there.
    const face = first!.faces[0]!;
    expect(face.box.x).toBeGreaterThan(60);
    expect(face.box.y).toBeGreaterThan(200);
    expect(face.box.x + face.box.width).toBeLessThan(60 + 250);
    expect(face.box.y + face.box.height).toBeLessThan(200 + 250);
    expect(face.landmarks['leftEye']!.x).toBeLessThan(face.landmarks['rightEye']!.x);
    expect(first!.similarity!).toBeGreaterThan(second!.similarity!);
    live.dispose();
  });

  it('latest frame wins: 30 frames sent at once give fewer results, the rest counted as dropped, the last one answered', async () => {
    const ws = client(server.url);
    const id = (await once<{ startLiveSession: { id: string } }>(ws, START_LIVE, { ref: lfwBase64('Colin_Powell', 1) })).data!.startLiveSession.id;
    const live = subscribeLive(ws, id);
    const frames = await Promise.all(Array.from({ length: 30 }, (_, i) => lfwFrame('Colin_Powell', 2 + (i % 5))));
    const receipts = await Promise.all(frames.map((frame) => once<{ submitFrame: { sequence: number; accepted: boolean } }>(ws, SUBMIT, { id, frame })));
    expect(receipts.every((r) => r.data?.submitFrame.accepted)).toBe(true);
    const results = await live.until((f) => f.some((r) => r.sequence === 30));
    expect(results.length).toBeLessThan(30);
    const last = results.at(-1)!;
    expect(last.sequence).toBe(30);
    expect(last.processed).toBe(results.length);
    expect(last.processed + last.dropped).toBe(30);
    expect(results.map((r) => r.sequence)).toEqual([...results.map((r) => r.sequence)].sort((a, b) => a - b));
    live.dispose();
  });

  it('reports a frame that is not an image as that frame\'s error, and the session goes on', async () => {
    const ws = client(server.url);
    const id = (await once<{ startLiveSession: { id: string } }>(ws, START_LIVE, { ref: lfwBase64('Colin_Powell', 1) })).data!.startLiveSession.id;
    const live = subscribeLive(ws, id);
    await once(ws, SUBMIT, { id, frame: Buffer.from('definitely not a jpeg').toString('base64') });
    await live.until((f) => f.length >= 1);
    await once(ws, SUBMIT, { id, frame: await lfwFrame('Colin_Powell', 3) });
    const [bad, good] = await live.until((f) => f.length >= 2);
    expect(bad).toMatchObject({ sequence: 1, faces: [], match: null, error: { code: 'UNSUPPORTED_FORMAT' } });
    expect(good).toMatchObject({ sequence: 2, match: true, error: null });
    const notBase64 = await once(ws, SUBMIT, { id, frame: '%%% not base64 %%%' });
    expect(notBase64.errors?.[0]?.extensions?.code).toBe('BAD_IMAGE');
    const unknown = await once(ws, SUBMIT, { id: 'no-such-session', frame: await lfwFrame('Colin_Powell', 3) });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('SESSION_NOT_FOUND');
    live.dispose();
  });

  it('hands a result produced before anyone subscribed to the first subscriber', async () => {
    const ws = client(server.url);
    const id = (await once<{ startLiveSession: { id: string } }>(ws, START_LIVE, { ref: lfwBase64('Colin_Powell', 1) })).data!.startLiveSession.id;
    await once(ws, SUBMIT, { id, frame: await lfwFrame('Colin_Powell', 2) });
    await eventually(() => server.live.running === 0);
    const live = subscribeLive(ws, id);
    const [first] = await live.until((f) => f.length >= 1);
    expect(first).toMatchObject({ sequence: 1, match: true });
    live.dispose();
  });

  it('ends the session when the client disconnects, leaving no job running for it', async () => {
    const ws = wsClient(server.url);
    const id = (await once<{ startLiveSession: { id: string } }>(ws, START_LIVE, { ref: lfwBase64('Colin_Powell', 1) })).data!.startLiveSession.id;
    const live = subscribeLive(ws, id);
    await once(ws, SUBMIT, { id, frame: await lfwFrame('Colin_Powell', 2) });
    await live.until((f) => f.length >= 1);
    expect(await metric(server, 'facegate_live_sessions_active')).toBeGreaterThanOrEqual(1);
    void once(ws, SUBMIT, { id, frame: await lfwFrame('Colin_Powell', 4) }).catch(() => undefined);
    await ws.dispose();
    await eventually(() => server.live.active === 0);
    expect(await metric(server, 'facegate_live_sessions_active')).toBe(0);
    await eventually(() => server.live.running === 0 && server.pool.stats().busy === 0);
    const again = client(server.url);
    expect((await once(again, SUBMIT, { id, frame: await lfwFrame('Colin_Powell', 2) })).errors?.[0]?.extensions?.code).toBe('SESSION_NOT_FOUND');
  });

  it('caps sessions per server with OVERLOADED, and opens one over HTTP multipart too', async () => {
    const ws = client(server.url);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await once<{ startLiveSession: { id: string } }>(ws, START_LIVE, { ref: lfwBase64('Colin_Powell', 1) });
      expect(r.errors).toBeUndefined();
      ids.push(r.data!.startLiveSession.id);
    }
    const over = await once(ws, START_LIVE, { ref: lfwBase64('Colin_Powell', 1) });
    expect(over.errors?.[0]?.extensions?.code).toBe('OVERLOADED');
    const overHttp = await upload(server.url, 'mutation ($r: File) { startLiveSession(reference: $r) { id } }', { r: lfw('Colin_Powell', 1) });
    expect(overHttp.body.errors?.[0]?.extensions?.code).toBe('OVERLOADED');
    for (const id of ids) expect((await once<{ stopLiveSession: boolean }>(ws, 'mutation ($id: ID!) { stopLiveSession(sessionId: $id) }', { id })).data!.stopLiveSession).toBe(true);
    const viaHttp = await upload<{ startLiveSession: { id: string; referenceFaceCount: number } }>(
      server.url,
      'mutation ($r: File) { startLiveSession(reference: $r) { id referenceFaceCount } }',
      { r: lfw('Colin_Powell', 1) },
    );
    expect(viaHttp.body.errors).toBeUndefined();
    expect(viaHttp.body.data!.startLiveSession.referenceFaceCount).toBe(1);
    expect(server.live.stop(viaHttp.body.data!.startLiveSession.id, null)).toBe(true);
    const noFace = await once(ws, START_LIVE, { ref: Buffer.from('nope').toString('base64') });
    expect(noFace.errors?.[0]?.extensions?.code).toBe('UNSUPPORTED_FORMAT');
  });
});

if (!hasLfw) describe('live verification', () => it.skip(lfwSkipReason, () => {}));
