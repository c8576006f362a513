/**
 * The glue between live sessions and the challenge, with a scripted analyser (the real models run in
 * tests/server/live-challenge.test.ts): frames queue instead of replacing each other, results carry
 * progress and no scores, the session ends with the outcome, which is read once; cooldowns; outcomes.
 */
import { describe, expect, it } from 'vitest';
import { ChallengeCooldown } from '../../../server/live/challenge/cooldown.js';
import { ChallengeOutcomes } from '../../../server/live/challenge/outcomes.js';
import { ChallengeService } from '../../../server/live/challenge/run.js';
import type { ChallengeOutcome } from '../../../server/live/challenge/types.js';
import { LiveSessionManager, type FrameAnalysis, type LiveFrameResult, type ReferenceFace } from '../../../server/live/sessions.js';
import type { Face } from '../../../models/types.js';
import { eyeCentres } from '../../../server/live/challenge/geometry.js';
import { boxOf, landmarksOf } from './face-model.js';

const referenceFace: Face = {
  box: { x: 0, y: 0, width: 1, height: 1 },
  score: 1,
  inFrame: 1,
  landmarks: { leftEye: { x: 0, y: 0 }, rightEye: { x: 1, y: 0 }, nose: { x: 0, y: 0 }, mouthLeft: { x: 0, y: 0 }, mouthRight: { x: 0, y: 0 } },
};
const reference: ReferenceFace = {
  image: { width: 640, height: 480, format: 'jpeg' },
  face: referenceFace,
  faceCount: 1,
  selection: { index: 0, face: referenceFace, faceCount: 1, rule: 'prominent', ambiguous: false, runnerUp: null },
  embedding: Float32Array.from([1, 0]),
  model: 'test',
};

/** A still face: the same landmarks on every frame, matching the reference. */
async function stillFace(_frame: Uint8Array, _signal: AbortSignal, options: { landmarks68: boolean }): Promise<FrameAnalysis> {
  await new Promise((r) => setTimeout(r, 30));
  const points = landmarksOf({ jitter: 0.05 });
  const [leftEye, rightEye] = eyeCentres(points);
  const five = { leftEye, rightEye, nose: points[30]!, mouthLeft: points[48]!, mouthRight: points[54]! };
  return {
    image: { width: 640, height: 480, format: 'jpeg' },
    faces: [{ score: 1, box: boxOf(points), inFrame: 1, landmarks: five }],
    selection: null,
    embedding: Float32Array.from([1, 0]),
    landmarks68: options.landmarks68 ? points : null,
  };
}

function manager(challenges = new ChallengeService({ settings: { stepDeadlineMs: 600, holdOffMs: [100, 200], expiryMs: 5000 } })) {
  return new LiveSessionManager({ maxSessions: 4, maxSessionsPerOwner: 4, idleTimeoutMs: 10_000, maxFrameBytes: 1 << 20, maxFps: 100 }, stillFace, undefined, undefined, challenges);
}

async function collect(iterator: AsyncIterableIterator<LiveFrameResult>): Promise<LiveFrameResult[]> {
  const all: LiveFrameResult[] = [];
  for await (const r of iterator) all.push(r);
  return all;
}

describe('live sessions with a challenge', () => {
  it('queue every frame, push progress without scores, end with the outcome, which a backend reads once', async () => {
    const live = manager();
    const session = live.start('owner', reference, 0.5, { challenge: { keys: ['addr:test'] } });
    expect(session.challenge).toBe(true);
    const results = collect(live.subscribe(session.id, 'owner'));
    // A burst of frames while one is analysed: all wait (none is replaced), up to the backlog.
    for (let i = 0; i < 6; i++) live.submit(session.id, 'owner', Uint8Array.from([i, 1, 2]));
    let k = 6;
    const sender = setInterval(() => {
      try {
        live.submit(session.id, 'owner', Uint8Array.from([k++, 1, 2]));
      } catch {
        clearInterval(sender); // the session ended
      }
    }, 40);
    const frames = await results;
    clearInterval(sender);
    expect(frames.slice(0, 6).map((f) => f.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(frames.every((f) => f.similarity === null && f.match === null && f.threshold === null && f.challenge !== null)).toBe(true);
    const outcome = frames.at(-1)!.challenge!.outcome!;
    expect(outcome.result).toBe('CHALLENGE_FAILED');
    expect(outcome.reasons).toEqual(['STEP_TIMEOUT', 'STATIC_INPUT']);
    expect(() => live.submit(session.id, 'owner', Uint8Array.from([9]))).toThrow(/No live session/);
    expect(live.takeChallengeOutcome(session.id)).toEqual(outcome);
    expect(live.takeChallengeOutcome(session.id)).toBeUndefined();
  });

  it('end INCONCLUSIVE when stopped first; plain sessions keep scores and latest-frame-wins', async () => {
    const live = manager();
    const challenged = live.start('owner', reference, 0.5, { challenge: { keys: ['addr:test'] } });
    const ending = collect(live.subscribe(challenged.id, 'owner'));
    live.stop(challenged.id, 'owner');
    expect((await ending).at(-1)!.challenge!.outcome).toMatchObject({ result: 'INCONCLUSIVE' });
    expect(live.takeChallengeOutcome(challenged.id)).toMatchObject({ result: 'INCONCLUSIVE', reasons: ['SESSION_ENDED'] });

    const plain = live.start('owner', reference, 0.5);
    const iterator = live.subscribe(plain.id, 'owner');
    for (let i = 0; i < 4; i++) live.submit(plain.id, 'owner', Uint8Array.from([i]));
    const first = (await iterator.next()).value as LiveFrameResult;
    const second = (await iterator.next()).value as LiveFrameResult;
    expect(first).toMatchObject({ sequence: 1, similarity: 1, match: true, threshold: 0.5, challenge: null });
    expect(second.sequence).toBe(4);
    expect(second.dropped).toBe(2);
    live.dispose();
  });

  it('refuse a source on a cooldown', async () => {
    const service = new ChallengeService({ cooldown: { maxFailures: 1, windowMs: 60_000, cooldownMs: 60_000 }, settings: { stepDeadlineMs: 300, holdOffMs: [50, 60] } });
    const live = manager(service);
    const session = live.start('owner', reference, 0.5, { challenge: { keys: ['addr:1.2.3.4'] } });
    const results = collect(live.subscribe(session.id, 'owner'));
    const sender = setInterval(() => {
      try {
        live.submit(session.id, 'owner', Uint8Array.from([Math.random() * 255]));
      } catch {
        clearInterval(sender);
      }
    }, 20);
    const frames = await results;
    clearInterval(sender);
    expect(frames.at(-1)!.challenge!.outcome!.result).toBe('CHALLENGE_FAILED');
    expect(() => live.start('owner', reference, 0.5, { challenge: { keys: ['addr:1.2.3.4'] } })).toThrow(/Too many challenges/);
    expect(() => live.start('owner', reference, 0.5, { challenge: { keys: ['addr:5.6.7.8'] } })).not.toThrow();
    live.dispose();
  });
});

describe('cooldowns and outcomes', () => {
  it('count failures in a sliding window and forget them after the cooldown', () => {
    let now = 0;
    const cooldown = new ChallengeCooldown({ maxFailures: 2, windowMs: 1000, cooldownMs: 500 }, () => now);
    cooldown.recordFailure(['a']);
    now = 1500;
    cooldown.recordFailure(['a']);
    expect(cooldown.remainingMs(['a'])).toBe(0); // the first failure fell out of the window
    now = 1600;
    cooldown.recordFailure(['a']);
    expect(cooldown.remainingMs(['a', 'b'])).toBe(500);
    now = 2100;
    expect(cooldown.remainingMs(['a'])).toBe(0);
    const off = new ChallengeCooldown({ maxFailures: 0, windowMs: 1000, cooldownMs: 500 }, () => now);
    off.recordFailure(['a']);
    expect(off.remainingMs(['a'])).toBe(0);
  });

  it('keep an outcome until read once or until its time is up', () => {
    let now = 0;
    const outcomes = new ChallengeOutcomes(1000, () => now);
    const outcome = { result: 'CHALLENGE_PASSED', reasons: [] } as unknown as ChallengeOutcome;
    outcomes.put('s1', outcome);
    outcomes.put('s2', outcome);
    expect(outcomes.take('s1')).toBe(outcome);
    expect(outcomes.take('s1')).toBeUndefined();
    now = 1001;
    expect(outcomes.take('s2')).toBeUndefined();
  });
});
