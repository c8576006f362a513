/**
 * The movement challenge over the real socket with the real models: the always-run subset of
 * `npm run bench:challenge` (a still photo, byte-identical and perturbed), the backend's read-once
 * outcome, single use, no scores during a challenge, and the cooldown. Photos: an LFW person when LFW is
 * present, otherwise one of @vladmandic/face-api's demo photos.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeImage, FacePipeline } from '../../models/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import type { RunningServer } from '../../server/app.js';
import { attack, START_CHALLENGE, SUBMIT_FRAME } from '../../bench/challenge/attack.js';
import { attackFrames } from '../../bench/challenge/streams.js';
import { hasLfw, lfwImagePath, samplePath } from '../support/fixtures.js';
import { startTestServer, stopAll } from './helpers.js';
import { once, START_LIVE, wsClient } from './live-client.js';

/** The demo photos hold several people: cut the largest face out, with room around it, as one portrait. */
async function demoPortrait(): Promise<Buffer> {
  const bytes = readFileSync(samplePath(1));
  const pipeline = await FacePipeline.load();
  try {
    const image = await decodeImage(bytes);
    const face = pipeline.detectFaces(image)[0]!;
    const side = Math.round(Math.max(face.box.width, face.box.height) * 2.2);
    const left = Math.max(0, Math.round(face.box.x + face.box.width / 2 - side / 2));
    const top = Math.max(0, Math.round(face.box.y + face.box.height / 2 - side / 2));
    const width = Math.min(side, image.width - left);
    const height = Math.min(side, image.height - top);
    // decodeImage applied the EXIF orientation: do the same before cutting.
    return await sharp(bytes).rotate().extract({ left, top, width, height }).resize(300, 300, { fit: 'inside' }).jpeg({ quality: 90 }).toBuffer();
  } finally {
    pipeline.dispose();
  }
}

describe('live movement challenge over graphql-ws', () => {
  let server: RunningServer;
  const clients: Client[] = [];
  let photos: Buffer[] = [];
  beforeAll(async () => {
    if (hasLfw) photos = [1, 2, 3, 4].map((i) => readFileSync(lfwImagePath('George_W_Bush', i)));
    else {
      console.warn('[facegate tests] LFW absent: the live challenge suite attacks with a face-api demo photo');
      photos = [await demoPortrait()];
    }
    server = await startTestServer({ FACEGATE_CHALLENGE_MAX_FAILURES: '2' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stopAll();
  });

  it('fails the same photo sent again and again, tells the backend once, and cannot be reused', async () => {
    const result = await attack(server.url, photos[0]!.toString('base64'), await attackFrames('still', photos, 15, 1));
    expect(result.pushed).toMatchObject({ result: 'CHALLENGE_FAILED', reasons: ['STATIC_INPUT'] });
    expect(result.queried).toEqual(result.pushed);
    expect(result.queriedAgain).toBeNull();
    // During a challenge the frames carry progress, never scores or thresholds.
    expect(result.frames.length).toBeGreaterThan(0);
    for (const frame of result.frames) expect(frame).toMatchObject({ similarity: null, match: null, threshold: null });
    expect(result.frames.at(-1)!.challenge).toMatchObject({ state: 'ENDED', instruction: null });
    // Single use: the session is gone.
    const ws = wsClient(server.url);
    clients.push(ws);
    const again = await once(ws, SUBMIT_FRAME, { id: result.sessionId, frame: photos[0]!.toString('base64') });
    expect(again.errors?.[0]?.extensions?.code).toBe('SESSION_NOT_FOUND');
  }, 60_000);

  it('does not pass the photo with noise, shifts, scaling and JPEG re-compression; prompts come one at a time', async () => {
    const result = await attack(server.url, photos[0]!.toString('base64'), await attackFrames('perturbed', photos, 15, 2));
    expect(result.pushed?.result).not.toBe('CHALLENGE_PASSED');
    expect(['CHALLENGE_FAILED', 'INCONCLUSIVE']).toContain(result.pushed?.result);
    expect(result.queried).toEqual(result.pushed);
    const states = result.frames.map((f) => f.challenge!.state);
    expect(states[0]).toBe('BASELINE');
    expect(states).toContain('WAITING');
    const prompted = result.frames.filter((f) => f.challenge!.state === 'STEP');
    expect(prompted.length).toBeGreaterThan(0);
    expect(prompted.every((f) => f.challenge!.instruction !== null && f.challenge!.deadline !== null)).toBe(true);
    expect(result.frames.filter((f) => f.challenge!.state !== 'STEP').every((f) => f.challenge!.instruction === null)).toBe(true);
    // The steps are revealed only in the outcome.
    expect(result.pushed!.steps).toHaveLength(3);
  }, 90_000);

  it('puts a source on a cooldown after repeated failures; plain sessions stay open', async () => {
    const ws = wsClient(server.url);
    clients.push(ws);
    const reference = photos[0]!.toString('base64');
    let refused: string | undefined;
    for (let attempt = 0; attempt < 3 && !refused; attempt++) {
      const started = await once<{ startLiveSession: { id: string } }>(ws, START_CHALLENGE, { ref: reference });
      refused = started.errors?.[0]?.extensions?.code;
      if (refused) break;
      await once(ws, 'mutation Stop($id: ID!) { stopLiveSession(sessionId: $id) }', { id: started.data!.startLiveSession.id });
      await attack(server.url, reference, await attackFrames('still', photos, 15, 3));
    }
    expect(refused).toBe('TOO_MANY_ATTEMPTS');
    const plain = await once<{ startLiveSession: { id: string } }>(ws, START_LIVE, { ref: reference });
    expect(plain.errors).toBeUndefined();
  }, 90_000);
});
