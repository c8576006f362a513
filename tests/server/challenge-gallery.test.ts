/**
 * The movement challenge against an enrolled subject, over the real socket with the real models: on by
 * default in `startGalleryLiveSession(subjectId)` (off with `challenge: false`, refused in identification
 * mode), and `liveChallengeOutcome` bound to the API key that opened the session: that key, a key with
 * read on the gallery, or an admin key reads it; no key is UNAUTHENTICATED, another key FORBIDDEN, and a
 * refused read does not use the outcome up. Faces: the five people of a face-api demo photo.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { CHALLENGE_FRAMES, OUTCOME, START_CHALLENGE, type ChallengeFrame, type Outcome } from '../../bench/challenge/attack.js';
import { call, codeOf, CREATE_GALLERY, CREATE_KEY, CREATE_SUBJECT, ENROLL, faceCrops, images, variant } from './gallery-client.js';
import { startTestServer, stopAll } from './helpers.js';
import { once } from './live-client.js';

const ADMIN = 'test-admin-key-challenge-0123456789';
const START_SUBJECT = /* GraphQL */ `
  mutation Start($subjectId: ID, $galleryId: ID, $challenge: Boolean) {
    startGalleryLiveSession(subjectId: $subjectId, galleryId: $galleryId, challenge: $challenge) { id challenge subject { id } }
  }`;
const STOP = 'mutation Stop($id: ID!) { stopLiveSession(sessionId: $id) }';
const SUBMIT = 'mutation Submit($id: ID!, $frame: String!) { submitFrame(sessionId: $id, frame: $frame) { accepted } }';

let server: RunningServer;
let url: string;
let subjectId: string;
let galleryId: string;
let reference: Buffer;
let frame: string;
const keys: Record<'kiosk' | 'clerk' | 'auditor' | 'elsewhere', string> = { kiosk: '', clerk: '', auditor: '', elsewhere: '' };
const clients: Client[] = [];

function ws(key: string | null): Client {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    ...(key ? { connectionParams: { apiKey: key } } : {}),
  });
  clients.push(client);
  return client;
}

async function key(name: string, grants: { galleryId: string | null; scopes: string[] }[]): Promise<string> {
  const made = await call<{ createApiKey: { key: string } }>(url, ADMIN, CREATE_KEY, { input: { name, grants } });
  expect(made.body.errors).toBeUndefined();
  return made.body.data!.createApiKey.key;
}

/** Opens a subject session with `client`, stops it at once: its outcome (INCONCLUSIVE, SESSION_ENDED) waits to be read. */
async function endedSession(client: Client): Promise<string> {
  const started = await once<{ startGalleryLiveSession: { id: string; challenge: boolean } }>(client, START_SUBJECT, { subjectId });
  expect(started.errors).toBeUndefined();
  expect(started.data!.startGalleryLiveSession.challenge).toBe(true);
  const id = started.data!.startGalleryLiveSession.id;
  expect((await once<{ stopLiveSession: boolean }>(client, STOP, { id })).data?.stopLiveSession).toBe(true);
  return id;
}

const read = (key: string | null, id: string) => call<{ liveChallengeOutcome: Outcome | null }>(url, key, OUTCOME, { id });

beforeAll(async () => {
  server = await startTestServer({ FACEGATE_ADMIN_KEY: ADMIN });
  url = server.url;
  const crops = await faceCrops(async (bytes) => (await server.inference.detect(bytes)).faces);
  reference = crops[1]!;
  frame = (await variant(reference)).toString('base64');
  const g = await call<{ createGallery: { id: string } }>(url, ADMIN, CREATE_GALLERY, { input: { name: 'doors' } });
  galleryId = g.body.data!.createGallery.id;
  const other = await call<{ createGallery: { id: string } }>(url, ADMIN, CREATE_GALLERY, { input: { name: 'elsewhere' } });
  const s = await call<{ createSubject: { id: string } }>(url, ADMIN, CREATE_SUBJECT, { galleryId, input: { externalId: 'alice' } });
  subjectId = s.body.data!.createSubject.id;
  const enrolled = await call<{ enrollFaces: { enrolled: unknown[] } }>(url, ADMIN, ENROLL, { subjectId }, images([{ bytes: reference }]));
  expect(enrolled.body.data?.enrollFaces.enrolled).toHaveLength(1);
  keys.kiosk = await key('kiosk', [{ galleryId, scopes: ['IDENTIFY'] }]);
  keys.clerk = await key('clerk', [{ galleryId, scopes: ['IDENTIFY', 'ENROLL'] }]);
  keys.auditor = await key('auditor', [{ galleryId, scopes: ['READ'] }]);
  keys.elsewhere = await key('elsewhere', [{ galleryId: other.body.data!.createGallery.id, scopes: ['READ', 'IDENTIFY'] }]);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stopAll();
});

describe('movement challenge against an enrolled subject', () => {
  it('runs by default: frames carry its progress and no scores, and a photo held still ends not completed', async () => {
    const client = ws(keys.kiosk);
    const started = await once<{ startGalleryLiveSession: { id: string; challenge: boolean; subject: { id: string } } }>(client, START_SUBJECT, { subjectId });
    expect(started.errors).toBeUndefined();
    expect(started.data!.startGalleryLiveSession).toMatchObject({ challenge: true, subject: { id: subjectId } });
    const id = started.data!.startGalleryLiveSession.id;
    const frames: ChallengeFrame[] = [];
    let ended = false;
    client.subscribe<{ liveVerification: ChallengeFrame }>(
      { query: CHALLENGE_FRAMES, variables: { id } },
      { next: (v) => void (v.data && frames.push(v.data.liveVerification)), error: () => (ended = true), complete: () => (ended = true) },
    );
    // The same photo at 10 fps, as a phone held up to the camera would give (byte-identical here).
    const until = Date.now() + 30_000;
    while (!ended && Date.now() < until) {
      const sent = await once<{ submitFrame: { accepted: boolean } }>(client, SUBMIT, { id, frame });
      if (!sent.data) break; // the session ended with its challenge
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) expect(f).toMatchObject({ similarity: null, match: null, threshold: null });
    expect(frames[0]!.challenge?.state).toBe('BASELINE');
    const outcome = frames.map((f) => f.challenge?.outcome).find((o) => o);
    expect(outcome).toMatchObject({ result: 'CHALLENGE_FAILED', reasons: ['STATIC_INPUT'] });
    // The backend reads it with the key that opened the session, once.
    const first = await read(keys.kiosk, id);
    expect(first.body.data?.liveChallengeOutcome).toMatchObject({ result: 'CHALLENGE_FAILED', reasons: ['STATIC_INPUT'], steps: outcome!.steps });
    expect((await read(keys.kiosk, id)).body.data?.liveChallengeOutcome).toBeNull();
  }, 60_000);

  it('is off with challenge: false (plain scores per frame) and refused in identification mode', async () => {
    const client = ws(keys.kiosk);
    const started = await once<{ startGalleryLiveSession: { id: string; challenge: boolean } }>(client, START_SUBJECT, { subjectId, challenge: false });
    expect(started.data!.startGalleryLiveSession.challenge).toBe(false);
    const id = started.data!.startGalleryLiveSession.id;
    const result = new Promise<{ similarity: number | null; match: boolean | null; challenge: unknown }>((resolve) => {
      client.subscribe<{ liveVerification: { similarity: number | null; match: boolean | null; challenge: unknown } }>(
        { query: 'subscription($id: ID!) { liveVerification(sessionId: $id) { similarity match challenge { state } } }', variables: { id } },
        { next: (v) => v.data && resolve(v.data.liveVerification), error: () => {}, complete: () => {} },
      );
    });
    await new Promise((r) => setTimeout(r, 100));
    await once(client, SUBMIT, { id, frame });
    expect(await result).toMatchObject({ match: true, challenge: null });
    await once(client, STOP, { id });
    const refused = await once(client, START_SUBJECT, { galleryId, challenge: true });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const identifying = await once<{ startGalleryLiveSession: { challenge: boolean } }>(client, START_SUBJECT, { galleryId });
    expect(identifying.data?.startGalleryLiveSession.challenge).toBe(false);
  }, 60_000);
});

describe('liveChallengeOutcome with API keys', () => {
  it('is read with the opening key, a read key on the gallery or an admin key; otherwise typed errors, and the outcome stays', async () => {
    const kiosk = ws(keys.kiosk);
    const id = await endedSession(kiosk);
    expect(codeOf(await read(null, id))).toBe('UNAUTHENTICATED');
    expect(codeOf(await read('garbage', id))).toBe('UNAUTHENTICATED');
    // Another key of the same gallery without read, and a read key of another gallery.
    expect(codeOf(await read(keys.clerk, id))).toBe('FORBIDDEN');
    expect(codeOf(await read(keys.elsewhere, id))).toBe('FORBIDDEN');
    // Over the socket too: the key comes from the connection params.
    const other = await once(ws(keys.clerk), OUTCOME, { id });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // None of that used it up.
    const own = await once<{ liveChallengeOutcome: Outcome | null }>(kiosk, OUTCOME, { id });
    expect(own.data?.liveChallengeOutcome).toMatchObject({ result: 'INCONCLUSIVE', reasons: ['SESSION_ENDED'] });
    expect((await read(keys.kiosk, id)).body.data?.liveChallengeOutcome).toBeNull();

    const audited = await endedSession(kiosk);
    expect((await read(keys.auditor, audited)).body.data?.liveChallengeOutcome).toMatchObject({ result: 'INCONCLUSIVE' });
    const administered = await endedSession(kiosk);
    expect((await read(ADMIN, administered)).body.data?.liveChallengeOutcome).toMatchObject({ result: 'INCONCLUSIVE' });
    // Unknown ids are null for anyone, as before.
    expect((await read(null, '00000000-0000-4000-8000-000000000000')).body.data?.liveChallengeOutcome).toBeNull();
  }, 60_000);

  it('binds a reference-image session opened with a key to that key; one opened without a key stays readable by its id', async () => {
    const ref = reference.toString('base64');
    const keyed = ws(keys.kiosk);
    const started = await once<{ startLiveSession: { id: string } }>(keyed, START_CHALLENGE, { ref });
    const id = started.data!.startLiveSession.id;
    await once(keyed, STOP, { id });
    expect(codeOf(await read(null, id))).toBe('UNAUTHENTICATED');
    // Reference-image sessions belong to no gallery: read on one is not enough.
    expect(codeOf(await read(keys.auditor, id))).toBe('FORBIDDEN');
    expect((await read(keys.kiosk, id)).body.data?.liveChallengeOutcome).toMatchObject({ result: 'INCONCLUSIVE' });

    const anonymous = ws(null);
    const open = await once<{ startLiveSession: { id: string } }>(anonymous, START_CHALLENGE, { ref });
    const openId = open.data!.startLiveSession.id;
    await once(anonymous, STOP, { id: openId });
    expect((await read(null, openId)).body.data?.liveChallengeOutcome).toMatchObject({ result: 'INCONCLUSIVE' });
  }, 60_000);
});
