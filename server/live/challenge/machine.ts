/**
 * The movement challenge of a live session, as a pure state machine: it is fed one observation per
 * analysed frame (face boxes, 68 landmarks, similarity to the reference, arrival time, sequence number)
 * and decides. No models, no sockets, no timers: `tick(now)` lets the owner enforce deadlines between
 * frames. Randomness is injected (a CSPRNG in the service, a script in tests).
 *
 * Flow: BASELINE (a few frontal, matching frames: the face at rest) -> WAITING (a random hold-off; the
 * next step stays hidden) -> STEP (the instruction is revealed with a deadline) -> WAITING ... -> ENDED.
 * What a still picture cannot do, and what is checked:
 *  - BLINK: the eyes' openness (EAR, corrected for the face's own vertical scale) falls below a fraction of
 *    the baseline and recovers, after the reaction time, while the head stays frontal.
 *  - TURN_LEFT / TURN_RIGHT: the yaw rises through intermediate frames past the turn angle in the asked
 *    direction, no sooner than a person can react; at the turn the landmarks must NOT be explained by a
 *    homography of the rest pose (a tilted photo or screen is one); then the head comes back and matches.
 *  - On every frame: one face, no jumps, frontal frames match the reference, sequence numbers increase,
 *    no run of identical frames. Steps have deadlines, the whole challenge an expiry.
 */
import type { Box, Point } from '../../../models/types.js';
import { eyeAspectRatio, eyeOpenness, interocular, landmarkAgreement, planarResidual, shapeChange, yawDegrees } from './geometry.js';
import { THRESHOLDS, type Thresholds } from './thresholds.js';
import {
  CHALLENGE_ACTIONS,
  type ChallengeAction,
  type ChallengeGuidance,
  type ChallengeOutcome,
  type ChallengeProgress,
  type ChallengeReason,
  type ChallengeResult,
  type ChallengeState,
  type FrameObservation,
} from './types.js';

export interface ChallengeSettings {
  /** Steps drawn per challenge. */
  steps: number;
  thresholds: Thresholds;
  /** The session's similarity threshold: frontal frames must reach it. */
  matchThreshold: number;
  /** Frontal, matching frames that make the baseline. */
  baselineFrames: number;
  /** Random hold-off before each step is revealed, [min, max] ms. */
  holdOffMs: [number, number];
  /** Movement sooner than this after a prompt is not a reaction to it (ms). Design bound: human simple reaction time. */
  minReactionMs: number;
  stepDeadlineMs: number;
  /** The whole challenge, from the session's start (ms). */
  expiryMs: number;
  /** Longest run without a face once the baseline is taken (ms). */
  maxFaceGapMs: number;
  /** Largest gap between analysed frames during a blink step (a blink lasts 100-400 ms). */
  maxBlinkFrameGapMs: number;
  /** Fewer analysed frames in a step that timed out make the result INCONCLUSIVE. */
  minFramesPerStep: number;
  /** Largest move of the face box between consecutive frames, in box widths. */
  maxBoxJump: number;
  /** Largest size change of the face box between consecutive frames (ratio). */
  maxBoxScale: number;
  /** This many byte-identical frames in a row is a replayed still. */
  identicalFrames: number;
  /**
   * A yaw change of at least `minDegrees` faster than `degreesPerSecond` that then holds still on the next
   * frame is a cut between pictures (a slideshow), not a head turning. Design bound: voluntary head turns
   * peak around 100-300 degrees per second.
   */
  yawJump: { degreesPerSecond: number; minDegrees: number };
}

export const DEFAULT_CHALLENGE_SETTINGS: Omit<ChallengeSettings, 'matchThreshold'> = {
  steps: 3,
  thresholds: { ...THRESHOLDS },
  baselineFrames: 5,
  holdOffMs: [700, 1800],
  minReactionMs: 250,
  stepDeadlineMs: 5000,
  expiryMs: 45_000,
  maxFaceGapMs: 1000,
  maxBlinkFrameGapMs: 150,
  minFramesPerStep: 10,
  maxBoxJump: 0.5,
  maxBoxScale: 1.4,
  identicalFrames: 3,
  yawJump: { degreesPerSecond: 300, minDegrees: 20 },
};

/** Integers in [0, maxExclusive): `crypto.randomInt` in the service. */
export type RandomInt = (maxExclusive: number) => number;

/** N steps, each uniform over the three actions, redrawn until at least one is a turn (the 3-D check). */
export function drawSteps(count: number, random: RandomInt): ChallengeAction[] {
  for (;;) {
    const steps = Array.from({ length: count }, () => CHALLENGE_ACTIONS[random(CHALLENGE_ACTIONS.length)]!);
    if (steps.some((s) => s !== 'BLINK')) return steps;
  }
}

/** Faces at least this fraction of the followed face's area count as a second person. */
const COMPETING_FACE_AREA = 0.25;
/** Back from a turn: within this fraction of the turn angle of the rest yaw. */
const RETURN_FRACTION = 0.4;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface StepProgress {
  action: ChallengeAction;
  issuedAt: number;
  deadlineAt: number;
  /** The rest pose just before the step was revealed. */
  rest: Point[];
  frames: number;
  blinkGap: boolean;
  /** Blink: eyes seen open after the reaction time, then closed. */
  openAfterReaction: boolean;
  closedAt: number | null;
  /** Turn: frames between 15% and 85% of the turn angle before the peak; the peak; a non-planar frame. */
  rampFrames: number;
  /** Consecutive frames past the turn angle; the turn counts from the second. */
  beyond: number;
  peak: boolean;
  nonPlanarFrames: number;
}

export class MovementChallenge {
  readonly steps: readonly ChallengeAction[];
  private state: ChallengeState = 'BASELINE';
  private stepIndex = 0;
  private step: StepProgress | null = null;
  private outcomeValue: ChallengeOutcome | null = null;
  private readonly expiresAt: number;
  private holdOffUntil = 0;
  private baseline: { landmarks: Point[]; yaw: number } | null = null;
  private readonly baselineCandidates: Array<{ landmarks: Point[]; yaw: number; ear: number }> = [];
  private rest: Point[] | null = null;
  private lastSequence = 0;
  private lastAt: number | null = null;
  private lastFace: { box: Box; at: number; landmarks: Point[] } | null = null;
  private lastFaceAt: number | null = null;
  private identicalRun = 0;
  private mismatchRun = 0;
  private multipleRun = 0;
  /** Consecutive frames turned past the turn angle (either way): one glitching frame is not a turn. */
  private turnedRun = 0;
  private lastYaw: { yaw: number; at: number } | null = null;
  /** The yaw right after a sudden change, to see whether it then holds still. */
  private jumpedTo: number | null = null;
  private readonly shapeChanges: number[] = [];
  private frames = 0;
  private guidance: ChallengeGuidance[] = [];
  private readonly startedWall: Date;

  constructor(
    private readonly settings: ChallengeSettings,
    readonly startedAt: number,
    private readonly random: RandomInt,
    private readonly wallClock: () => Date = () => new Date(),
  ) {
    this.steps = drawSteps(settings.steps, random);
    this.expiresAt = startedAt + settings.expiryMs;
    this.startedWall = wallClock();
  }

  get outcome(): ChallengeOutcome | null {
    return this.outcomeValue;
  }

  get ended(): boolean {
    return this.state === 'ENDED';
  }

  /** True while frames must not be dropped: a blink lasts only a few frames. */
  get needsEveryFrame(): boolean {
    return this.state === 'STEP' && this.step?.action === 'BLINK';
  }

  get progress(): ChallengeProgress {
    return {
      state: this.state,
      step: this.state === 'BASELINE' ? 0 : Math.min(this.stepIndex + 1, this.steps.length),
      steps: this.steps.length,
      instruction: this.state === 'STEP' ? this.step!.action : null,
      deadlineAt: this.state === 'STEP' ? this.step!.deadlineAt : null,
      guidance: this.state === 'ENDED' ? [] : this.guidance,
      outcome: this.outcomeValue,
    };
  }

  /** Enforces the expiry and the step deadline at `now` (ms, the observations' clock) between frames. */
  tick(now: number): ChallengeProgress {
    if (this.state === 'ENDED') return this.progress;
    if (now >= this.expiresAt) this.finish('EXPIRED', []);
    else if (this.state === 'STEP' && now > this.step!.deadlineAt) this.timeOut();
    return this.progress;
  }

  /** The session ended before the challenge did. */
  abandon(): ChallengeOutcome {
    if (this.state !== 'ENDED') this.finish('INCONCLUSIVE', ['SESSION_ENDED']);
    return this.outcomeValue!;
  }

  observe(o: FrameObservation): ChallengeProgress {
    if (this.state === 'ENDED') return this.progress;
    if (o.sequence <= this.lastSequence) return this.fail('SEQUENCE');
    this.lastSequence = o.sequence;
    this.frames++;
    this.tick(o.at);
    if (this.ended) return this.progress;
    const gap = this.lastAt === null ? 0 : o.at - this.lastAt;
    this.lastAt = o.at;
    if (this.step) {
      this.step.frames++;
      if (this.step.action === 'BLINK' && gap > this.settings.maxBlinkFrameGapMs) this.step.blinkGap = true;
    }
    this.identicalRun = o.identical ? this.identicalRun + 1 : 0;
    if (this.identicalRun >= this.settings.identicalFrames - 1) return this.fail('STATIC_INPUT');

    const started = this.state !== 'BASELINE';
    const face = o.faces[0];
    if (face && o.landmarks && o.fivePoints && landmarkAgreement(o.landmarks, o.fivePoints) > this.settings.thresholds.landmarkAgreement) {
      // The two landmark models disagree: this frame says nothing about the face's pose or eyes.
      this.lastFaceAt = o.at;
      return this.progress;
    }
    if (!face || !o.landmarks) {
      this.guidance = ['NO_FACE'];
      if (started && this.lastFaceAt !== null && o.at - this.lastFaceAt > this.settings.maxFaceGapMs) return this.fail('FACE_LOST');
      return this.progress;
    }
    const area = face.width * face.height;
    const competing = o.faces.filter((b) => b.width * b.height >= COMPETING_FACE_AREA * area).length;
    this.multipleRun = competing > 1 ? this.multipleRun + 1 : 0;
    if (competing > 1) {
      this.guidance = ['MULTIPLE_FACES'];
      if (started && this.multipleRun >= 2) return this.fail('MULTIPLE_FACES');
      if (!started) this.baselineCandidates.length = 0;
      return this.progress;
    }
    if (this.lastFace && o.at - this.lastFace.at <= this.settings.maxFaceGapMs) {
      const last = this.lastFace.box;
      const jump = Math.hypot(face.x + face.width / 2 - (last.x + last.width / 2), face.y + face.height / 2 - (last.y + last.height / 2)) / last.width;
      const scale = Math.max(face.width / last.width, last.width / face.width);
      if (jump > this.settings.maxBoxJump || scale > this.settings.maxBoxScale) {
        if (started) return this.fail('DISCONTINUITY');
        this.baselineCandidates.length = 0;
      }
      this.shapeChanges.push(shapeChange(this.lastFace.landmarks, o.landmarks));
    }
    this.lastFace = { box: face, at: o.at, landmarks: o.landmarks };
    this.lastFaceAt = o.at;

    const t = this.settings.thresholds;
    const yaw = yawDegrees(o.landmarks);
    const delta = yaw - (this.baseline?.yaw ?? 0);
    const frontal = Math.abs(delta) <= t.straightDegrees;
    // Identity is checked, and turns end, close to the rest pose; `frontal` is the looser baseline bound.
    const facing = this.baseline ? Math.abs(delta) <= RETURN_FRACTION * t.turnDegrees : frontal;
    this.turnedRun = Math.abs(delta) >= t.turnDegrees ? this.turnedRun + 1 : 0;
    if (started && this.cutBetweenPictures(yaw, o.at)) return this.fail('DISCONTINUITY');
    const closeEnough = interocular(o.landmarks) >= t.minInterocularPx;
    const guidance: ChallengeGuidance[] = [];
    if (!closeEnough) guidance.push('MOVE_CLOSER');
    if (!frontal && this.state !== 'STEP') guidance.push('LOOK_STRAIGHT');
    this.guidance = guidance;

    let matched = false;
    if (facing && o.similarity !== null) {
      matched = o.similarity >= this.settings.matchThreshold;
      this.mismatchRun = matched ? 0 : this.mismatchRun + 1;
      if (this.mismatchRun >= 2) return this.fail('IDENTITY_MISMATCH');
    }

    switch (this.state) {
      case 'BASELINE':
        if (frontal && matched && closeEnough) this.collectBaseline(o.landmarks, yaw, o.at);
        break;
      case 'WAITING':
        this.waiting(o.landmarks, facing, matched, o.at);
        break;
      case 'STEP':
        this.performing(o.landmarks, delta, facing, matched, o.at);
        break;
    }
    return this.progress;
  }

  private cutBetweenPictures(yaw: number, at: number): boolean {
    const { degreesPerSecond, minDegrees } = this.settings.yawJump;
    const held = this.jumpedTo !== null && Math.abs(yaw - this.jumpedTo) < minDegrees / 4;
    this.jumpedTo = null;
    if (held) return true;
    if (this.lastYaw && at > this.lastYaw.at) {
      const change = Math.abs(yaw - this.lastYaw.yaw);
      if (change >= minDegrees && (change * 1000) / (at - this.lastYaw.at) > degreesPerSecond) this.jumpedTo = yaw;
    }
    this.lastYaw = { yaw, at };
    return false;
  }

  private collectBaseline(landmarks: Point[], yaw: number, at: number): void {
    this.baselineCandidates.push({ landmarks, yaw, ear: eyeAspectRatio(landmarks) });
    if (this.baselineCandidates.length < this.settings.baselineFrames) return;
    const ears = this.baselineCandidates.map((c) => c.ear);
    const middle = median(ears);
    const typical = this.baselineCandidates.find((c) => c.ear === middle)!;
    this.baseline = { landmarks: typical.landmarks, yaw: median(this.baselineCandidates.map((c) => c.yaw)) };
    this.rest = typical.landmarks;
    this.enterWaiting(at);
  }

  private enterWaiting(at: number): void {
    this.state = 'WAITING';
    this.step = null;
    const [min, max] = this.settings.holdOffMs;
    this.holdOffUntil = at + min + this.random(max - min + 1);
  }

  private waiting(landmarks: Point[], frontal: boolean, matched: boolean, at: number): void {
    const t = this.settings.thresholds;
    if (this.turnedRun >= 2) {
      this.fail('ANTICIPATED');
      return;
    }
    const eyesOpen = eyeOpenness(this.baseline!.landmarks, landmarks) >= t.blinkOpenRatio;
    if (frontal && eyesOpen) this.rest = landmarks;
    if (at < this.holdOffUntil || !frontal || !matched || !eyesOpen) return;
    this.state = 'STEP';
    this.step = {
      action: this.steps[this.stepIndex]!,
      issuedAt: at,
      deadlineAt: at + this.settings.stepDeadlineMs,
      rest: this.rest!,
      frames: 0,
      blinkGap: false,
      openAfterReaction: false,
      closedAt: null,
      rampFrames: 0,
      beyond: 0,
      peak: false,
      nonPlanarFrames: 0,
    };
  }

  private performing(landmarks: Point[], delta: number, frontal: boolean, matched: boolean, at: number): void {
    const t = this.settings.thresholds;
    const step = this.step!;
    const reacted = at - step.issuedAt >= this.settings.minReactionMs;
    if (step.action === 'BLINK') {
      if (this.turnedRun >= 2) {
        this.fail('WRONG_ACTION');
        return;
      }
      const openness = eyeOpenness(this.baseline!.landmarks, landmarks);
      if (step.closedAt === null) {
        // A blink already under way when the prompt appeared is no answer to it: count only a closing
        // that follows open eyes seen after the reaction time.
        if (reacted && openness >= t.blinkOpenRatio) step.openAfterReaction = true;
        if (step.openAfterReaction && openness < t.blinkClosedRatio) step.closedAt = at;
      } else if (openness >= t.blinkOpenRatio && frontal && matched) {
        this.completeStep(at);
      }
      return;
    }
    const direction = step.action === 'TURN_LEFT' ? 1 : -1;
    const signed = direction * delta;
    if (signed <= -t.turnDegrees && this.turnedRun >= 2) {
      this.fail('WRONG_DIRECTION');
      return;
    }
    if (!step.peak) {
      if (signed >= 0.5 * t.turnDegrees && !reacted) {
        this.fail('TOO_FAST');
        return;
      }
      if (signed >= t.turnDegrees) {
        step.beyond++;
        if (step.beyond >= 2) {
          if (step.rampFrames === 0) {
            this.fail('DISCONTINUITY');
            return;
          }
          step.peak = true;
        }
      } else {
        step.beyond = 0;
        if (signed >= 0.15 * t.turnDegrees && signed <= 0.85 * t.turnDegrees) step.rampFrames++;
      }
    }
    if (signed >= t.turnDegrees && planarResidual(step.rest, landmarks) >= t.planarResidual) step.nonPlanarFrames++;
    if (!step.peak) return;
    if (Math.abs(delta) <= RETURN_FRACTION * t.turnDegrees) {
      if (step.nonPlanarFrames < 2) {
        this.fail('FLAT_MOTION');
        return;
      }
      if (matched) this.completeStep(at);
    }
  }

  private completeStep(at: number): void {
    this.stepIndex++;
    if (this.stepIndex >= this.steps.length) this.finish('CHALLENGE_PASSED', []);
    else this.enterWaiting(at);
  }

  private timeOut(): void {
    const step = this.step!;
    if (step.frames < this.settings.minFramesPerStep || (step.action === 'BLINK' && step.blinkGap)) {
      this.finish('INCONCLUSIVE', ['TOO_FEW_FRAMES']);
    } else {
      this.fail('STEP_TIMEOUT');
    }
  }

  /** Static input is reported with any failure when the face never moved more than a still picture does. */
  private fail(reason: ChallengeReason): ChallengeProgress {
    const reasons: ChallengeReason[] = [reason];
    if (reason !== 'STATIC_INPUT' && this.looksStatic()) reasons.push('STATIC_INPUT');
    this.finish('CHALLENGE_FAILED', reasons);
    return this.progress;
  }

  private looksStatic(): boolean {
    return this.shapeChanges.length >= 5 && median(this.shapeChanges) < this.settings.thresholds.staticShapeFloor;
  }

  private finish(result: ChallengeResult, reasons: ChallengeReason[]): void {
    this.state = 'ENDED';
    this.step = null;
    this.outcomeValue = {
      result,
      reasons,
      steps: [...this.steps],
      completedSteps: this.stepIndex,
      framesAnalysed: this.frames,
      startedAt: this.startedWall,
      endedAt: this.wallClock(),
    };
  }
}
