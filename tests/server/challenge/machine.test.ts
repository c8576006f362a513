import { describe, expect, it } from 'vitest';
import { DEFAULT_CHALLENGE_SETTINGS, drawSteps, MovementChallenge, type RandomInt } from '../../../server/live/challenge/machine.js';
import { eyeOpenness, planarResidual, yawDegrees } from '../../../server/live/challenge/geometry.js';
import type { ChallengeAction, ChallengeOutcome, ChallengeProgress, ChallengeReason, FrameObservation } from '../../../server/live/challenge/types.js';
import type { Box, Point } from '../../../models/types.js';
import { boxOf, landmarksOf, type Pose } from './face-model.js';

const SETTINGS = { ...DEFAULT_CHALLENGE_SETTINGS, matchThreshold: 0.91 };
const ORDER: ChallengeAction[] = ['TURN_LEFT', 'TURN_RIGHT', 'BLINK'];

/** Draws the given steps, then hold-offs from `holdOff` (ms above the minimum). */
function scripted(steps: ChallengeAction[], holdOff = 300): RandomInt {
  const queue = steps.map((s) => ORDER.indexOf(s));
  return (max) => (queue.length > 0 ? queue.shift()! : Math.min(holdOff, max - 1));
}

interface Shown {
  pose: Pose | null;
  similarity?: number;
  extraFaces?: Box[];
  identical?: boolean;
  /** A projective warp x -> x / (1 + k x) of the landmarks: a flat picture turned about its vertical axis. */
  flat?: number;
}

function projective(points: Point[], k: number): Point[] {
  return points.map((p) => {
    const w = 1 + k * (p.x - 320);
    return { x: 320 + (p.x - 320) / w, y: 240 + (p.y - 240) / w };
  });
}
type Prompt = { action: ChallengeAction; since: number; step: number };
type Behaviour = (t: number, prompt: Prompt | null, progress: ChallengeProgress) => Shown;

/** Feeds frames at `fps` until the challenge ends (or `seconds` pass); the behaviour sees the prompt. */
function run(challenge: MovementChallenge, behaviour: Behaviour, options: { fps?: number; seconds?: number } = {}) {
  const { fps = 15, seconds = 60 } = options;
  let progress = challenge.progress;
  let prompt: { action: ChallengeAction; step: number; at: number } | null = null;
  const history: ChallengeProgress[] = [];
  for (let k = 0; k * (1000 / fps) <= seconds * 1000 && !challenge.ended; k++) {
    const t = k * (1000 / fps);
    if (progress.instruction && (!prompt || prompt.step !== progress.step)) prompt = { action: progress.instruction, step: progress.step, at: t };
    if (!progress.instruction) prompt = null;
    const shown = behaviour(t, prompt ? { action: prompt.action, since: t - prompt.at, step: prompt.step } : null, progress);
    const drawn = shown.pose ? landmarksOf({ seed: k + 1, ...shown.pose }) : null;
    const landmarks = drawn && shown.flat ? projective(drawn, shown.flat) : drawn;
    const observation: FrameObservation = {
      sequence: k + 1,
      at: t,
      faces: landmarks ? [boxOf(landmarks), ...(shown.extraFaces ?? [])] : [],
      landmarks,
      similarity: landmarks ? (shown.similarity ?? 0.97) : null,
      identical: shown.identical ?? false,
      fivePoints: null,
    };
    progress = challenge.observe(observation);
    history.push(progress);
  }
  return { outcome: challenge.outcome, history };
}

/** A cooperative person: reacts after `reactionMs`, turns smoothly to `degrees` and back, blinks briefly. */
function person(options: { reactionMs?: number; degrees?: number; rampMs?: number; act?: (a: ChallengeAction, step: number) => ChallengeAction } = {}): Behaviour {
  const { reactionMs = 450, degrees = 35, rampMs = 300, act = (a) => a } = options;
  return (_t, prompt) => {
    if (!prompt || prompt.since < reactionMs) return { pose: {} };
    const phase = prompt.since - reactionMs;
    const action = act(prompt.action, prompt.step);
    if (action === 'BLINK') return { pose: { open: phase < 130 ? 0.15 : 1 } };
    const sign = action === 'TURN_LEFT' ? 1 : -1;
    const hold = 200;
    let yaw = 0;
    if (phase < rampMs) yaw = (degrees * phase) / rampMs;
    else if (phase < rampMs + hold) yaw = degrees;
    else if (phase < 2 * rampMs + hold) yaw = degrees * (1 - (phase - rampMs - hold) / rampMs);
    return { pose: { yaw: sign * yaw } };
  };
}

/** The first reason is the cause; STATIC_INPUT may follow (the scripted face moves no more than a still). */
function expectFailure(outcome: ChallengeOutcome | null, reason: ChallengeReason, completedSteps?: number): void {
  expect(outcome?.result).toBe('CHALLENGE_FAILED');
  expect(outcome?.reasons[0]).toBe(reason);
  if (completedSteps !== undefined) expect(outcome?.completedSteps).toBe(completedSteps);
}

const start = (steps: ChallengeAction[], overrides: Partial<typeof SETTINGS> = {}) =>
  new MovementChallenge({ ...SETTINGS, ...overrides }, 0, scripted(steps));

describe('challenge geometry on a scripted 3-D face', () => {
  it('reads yaw by direction, blinks as lost openness, and tells a turn from a flat picture', () => {
    const rest = landmarksOf();
    expect(Math.abs(yawDegrees(rest))).toBeLessThan(2);
    expect(yawDegrees(landmarksOf({ yaw: 30 }))).toBeGreaterThan(25);
    expect(yawDegrees(landmarksOf({ yaw: -30 }))).toBeLessThan(-25);
    expect(eyeOpenness(rest, landmarksOf({ open: 0.2, seed: 2 }))).toBeLessThan(0.4);
    expect(eyeOpenness(rest, landmarksOf({ seed: 2 }))).toBeGreaterThan(0.95);
    expect(planarResidual(rest, landmarksOf({ yaw: 35, seed: 2 }))).toBeGreaterThan(SETTINGS.thresholds.planarResidual);
    const tilted = rest.map((p) => ({ x: 320 + (p.x - 320) / (1 + 0.01 * (p.x - 320)), y: 240 + (p.y - 240) / (1 + 0.01 * (p.x - 320)) }));
    expect(planarResidual(rest, tilted)).toBeLessThan(0.001);
  });
});

describe('movement challenge', () => {
  it('passes a person who follows the prompts', () => {
    const challenge = start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']);
    const { outcome, history } = run(challenge, person());
    expect(outcome).toMatchObject({ result: 'CHALLENGE_PASSED', reasons: [], completedSteps: 3, steps: ['TURN_LEFT', 'BLINK', 'TURN_RIGHT'] });
    // Instructions appear one at a time, only in STEP, with a deadline; scores never appear.
    expect(history.filter((p) => p.state === 'WAITING').every((p) => p.instruction === null)).toBe(true);
    expect(history.filter((p) => p.state === 'STEP').every((p) => p.instruction !== null && p.deadlineAt !== null)).toBe(true);
    expect(Object.keys(history[0]!).sort()).toEqual(['deadlineAt', 'guidance', 'instruction', 'outcome', 'state', 'step', 'steps']);
  });

  it('fails a still picture: the step times out and the input is reported static', () => {
    const { outcome } = run(start(['BLINK', 'TURN_LEFT', 'TURN_RIGHT']), () => ({ pose: { jitter: 0.1 } }));
    expect(outcome).toMatchObject({ result: 'CHALLENGE_FAILED', reasons: ['STEP_TIMEOUT', 'STATIC_INPUT'], completedSteps: 0 });
  });

  it('fails byte-identical frames at once', () => {
    const { outcome, history } = run(start(['BLINK', 'TURN_LEFT', 'TURN_RIGHT']), (t) => ({ pose: {}, identical: t > 0 }));
    expectFailure(outcome, 'STATIC_INPUT');
    expect(history).toHaveLength(3);
  });

  it('fails a movement sooner than a person can react to the prompt', () => {
    const { outcome } = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), person({ reactionMs: 0, rampMs: 150 }));
    expectFailure(outcome, 'TOO_FAST');
  });

  it('fails a replay of the steps in another order', () => {
    const replay: ChallengeAction[] = ['TURN_RIGHT', 'TURN_LEFT', 'BLINK'];
    const { outcome } = run(start(['TURN_LEFT', 'TURN_RIGHT', 'BLINK']), person({ act: (_a, step) => replay[step - 1]! }));
    expectFailure(outcome, 'WRONG_DIRECTION');
    const blinkFirst = run(start(['BLINK', 'TURN_LEFT', 'TURN_RIGHT']), person({ act: () => 'TURN_LEFT' }));
    expectFailure(blinkFirst.outcome, 'WRONG_ACTION');
  });

  it('fails a turn the other way', () => {
    const { outcome } = run(start(['TURN_RIGHT', 'BLINK', 'TURN_LEFT']), person({ act: (a) => (a === 'TURN_RIGHT' ? 'TURN_LEFT' : a) }));
    expectFailure(outcome, 'WRONG_DIRECTION', 0);
  });

  it('fails when another person takes over mid-session', () => {
    const follow = person();
    const { outcome } = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), (t, prompt, progress) => ({
      ...follow(t, prompt, progress),
      similarity: progress.step >= 2 ? 0.55 : 0.97,
    }));
    expectFailure(outcome, 'IDENTITY_MISMATCH', 1);
  });

  it('asks for one face before it starts, and fails two faces once it has', () => {
    const second: Box = { x: 40, y: 60, width: 120, height: 120 };
    const waiting = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), () => ({ pose: {}, extraFaces: [second] }), { seconds: 3 });
    expect(waiting.outcome).toBeNull();
    expect(waiting.history.at(-1)).toMatchObject({ state: 'BASELINE', guidance: ['MULTIPLE_FACES'] });
    const follow = person();
    const { outcome } = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), (t, prompt, progress) => ({
      ...follow(t, prompt, progress),
      ...(progress.state === 'STEP' ? { extraFaces: [second] } : {}),
    }));
    expectFailure(outcome, 'MULTIPLE_FACES');
  });

  it('is single use: frames after the end change nothing', () => {
    const challenge = start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']);
    const first = run(challenge, person()).outcome;
    expect(first?.result).toBe('CHALLENGE_PASSED');
    const again = challenge.observe({ sequence: 10_000, at: 99_000, faces: [], landmarks: null, fivePoints: null, similarity: null, identical: false });
    expect(again.outcome).toBe(first);
    expect(again.state).toBe('ENDED');
    expect(challenge.abandon()).toBe(first);
  });

  it('fails out-of-order sequence numbers', () => {
    const challenge = start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']);
    const landmarks = landmarksOf();
    const frame = (sequence: number): FrameObservation => ({ sequence, at: sequence * 66, faces: [boxOf(landmarks)], landmarks, fivePoints: null, similarity: 0.97, identical: false });
    challenge.observe(frame(2));
    expect(challenge.observe(frame(1)).outcome).toMatchObject({ result: 'CHALLENGE_FAILED', reasons: ['SEQUENCE'] });
  });

  it('fails a turn before any prompt, a turn with no frame in between, and a turn that a flat picture makes', () => {
    const early = run(start(['BLINK', 'TURN_LEFT', 'TURN_RIGHT']), (_t, _p, progress) => ({ pose: { yaw: progress.state === 'WAITING' ? 35 : 0 } }));
    expectFailure(early.outcome, 'ANTICIPATED');

    const jump = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), (_t, prompt) => ({ pose: { yaw: prompt && prompt.since > 500 && prompt.since < 900 ? 35 : 0 } }));
    expectFailure(jump.outcome, 'DISCONTINUITY');

    // A slideshow: pictures at 0, 10 and 35 degrees, each held for several frames (a cut, then stillness).
    const cut = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), (_t, prompt) => {
      const since = prompt?.since ?? 0;
      return { pose: { yaw: since > 500 && since < 1000 ? 10 : since >= 1000 && since < 1500 ? 35 : 0 } };
    });
    expectFailure(cut.outcome, 'DISCONTINUITY');

    // A photo turned in front of the camera: a projective warp of the rest pose, whatever its apparent yaw.
    const flat = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), (_t, prompt) => {
      const phase = prompt ? Math.max(0, prompt.since - 450) : 0;
      const k = phase < 300 ? (0.012 * phase) / 300 : phase < 500 ? 0.012 : Math.max(0, 0.012 * (1 - (phase - 500) / 300));
      return { pose: {}, flat: k };
    });
    expect(yawDegrees(projective(landmarksOf(), 0.012))).toBeGreaterThan(SETTINGS.thresholds.turnDegrees);
    expectFailure(flat.outcome, 'FLAT_MOTION');
  });

  it('ends INCONCLUSIVE when too few frames are analysed during a blink step', () => {
    const { outcome } = run(start(['BLINK', 'TURN_LEFT', 'TURN_RIGHT']), () => ({ pose: {} }), { fps: 4 });
    expect(outcome).toMatchObject({ result: 'INCONCLUSIVE', reasons: ['TOO_FEW_FRAMES'] });
  });

  it('expires, and ends INCONCLUSIVE when the session ends first', () => {
    const challenge = start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']);
    expect(challenge.tick(SETTINGS.expiryMs + 1).outcome).toMatchObject({ result: 'EXPIRED' });
    const other = start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']);
    expect(other.abandon()).toMatchObject({ result: 'INCONCLUSIVE', reasons: ['SESSION_ENDED'] });
  });

  it('guides the user to look straight and come closer before it starts', () => {
    const turned = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), () => ({ pose: { yaw: 40 } }), { seconds: 1 });
    expect(turned.history.at(-1)).toMatchObject({ state: 'BASELINE', guidance: ['LOOK_STRAIGHT'] });
    const far = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), () => ({ pose: { scale: 0.3 } }), { seconds: 1 });
    expect(far.history.at(-1)).toMatchObject({ state: 'BASELINE', guidance: ['MOVE_CLOSER'] });
    const none = run(start(['TURN_LEFT', 'BLINK', 'TURN_RIGHT']), () => ({ pose: null }), { seconds: 1 });
    expect(none.history.at(-1)).toMatchObject({ state: 'BASELINE', guidance: ['NO_FACE'] });
  });

  it('draws steps that always include a turn, from the injected generator', () => {
    const seen = new Set<string>();
    let calls = 0;
    const blinkThenTurn: RandomInt = () => (calls++ < 3 ? 2 : 0);
    expect(drawSteps(3, blinkThenTurn)).toEqual(['TURN_LEFT', 'TURN_LEFT', 'TURN_LEFT']);
    for (let i = 0; i < 200; i++) {
      const steps = drawSteps(3, (max) => Math.floor(Math.random() * max));
      expect(steps.some((s) => s !== 'BLINK')).toBe(true);
      seen.add(steps.join());
    }
    expect(seen.size).toBeGreaterThan(10);
  });
});
