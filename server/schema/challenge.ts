/**
 * The movement challenge in the API: its per-frame progress (pushed on `liveVerification`) and its final
 * outcome, which a relying backend reads once with `liveChallengeOutcome` instead of trusting the browser.
 * Wording matters here: the challenge is completed or not completed. It rejects still photos and screens
 * showing a still image; it is not presentation attack detection tested under ISO/IEC 30107-3 and makes no
 * claim about video replays, face swaps or masks.
 */
import { performance } from 'node:perf_hooks';
import { builder } from '../builder.js';
import { ServiceError } from '../errors.js';
import { principalOf } from '../gallery/principal.js';
import { mayReadOutcome } from '../live/challenge/audience.js';
import type { ChallengeOutcome, ChallengeProgress } from '../live/challenge/types.js';
import { guarded } from './common.js';

const ChallengeActionEnum = builder.enumType('ChallengeAction', {
  description: "One step of a movement challenge. Left and right are the user's own (a mirrored preview shows them on the same side).",
  values: {
    TURN_LEFT: { description: 'Turn the head to your left, then back to the camera.' },
    TURN_RIGHT: { description: 'Turn the head to your right, then back to the camera.' },
    BLINK: { description: 'Blink once, looking at the camera.' },
  } as const,
});

const ChallengeStateEnum = builder.enumType('ChallengeState', {
  values: {
    BASELINE: { description: 'Learning the face at rest: look at the camera.' },
    WAITING: { description: 'A random pause; the next step is not revealed yet.' },
    STEP: { description: 'A step is to be performed: see `instruction` and `deadline`.' },
    ENDED: { description: 'Over: see `outcome`.' },
  } as const,
});

const ChallengeGuidanceEnum = builder.enumType('ChallengeGuidance', {
  values: {
    NO_FACE: { description: 'No face in the frame.' },
    MULTIPLE_FACES: { description: 'More than one face: only the person being checked should be in view.' },
    MOVE_CLOSER: { description: 'The face is too small to read its landmarks reliably.' },
    LOOK_STRAIGHT: { description: 'Look straight at the camera.' },
  } as const,
});

const ChallengeResultEnum = builder.enumType('ChallengeResult', {
  values: {
    CHALLENGE_PASSED: { description: 'Challenge completed: every step was performed in time by a face matching the reference.' },
    CHALLENGE_FAILED: { description: 'Challenge not completed: see `reasons`.' },
    INCONCLUSIVE: { description: 'Not decided: too few frames were analysed, or the session ended first.' },
    EXPIRED: { description: 'The challenge ran past its time limit.' },
  } as const,
});

const ChallengeReasonEnum = builder.enumType('ChallengeReason', {
  values: {
    STEP_TIMEOUT: { description: "A step's deadline passed without the movement." },
    TOO_FAST: { description: 'The movement came sooner after the prompt than a person can react.' },
    WRONG_DIRECTION: { description: 'A turn the other way than asked.' },
    WRONG_ACTION: { description: 'A turn during a blink step.' },
    ANTICIPATED: { description: 'A turn before the step was revealed.' },
    IDENTITY_MISMATCH: { description: 'A frontal frame did not match the reference face.' },
    MULTIPLE_FACES: { description: 'A second face appeared during the challenge.' },
    FACE_LOST: { description: 'No face for too long during the challenge.' },
    DISCONTINUITY: { description: 'The face jumped between frames.' },
    FLAT_MOTION: { description: 'The face moved as a flat picture does, not as a head.' },
    STATIC_INPUT: { description: 'Identical frames, or the face moved no more than a still picture does.' },
    SEQUENCE: { description: 'Frames out of order.' },
    TOO_FEW_FRAMES: { description: 'Too few frames were analysed to see the movement.' },
    SESSION_ENDED: { description: 'The session ended before the challenge did.' },
  } as const,
});

/** Monotonic milliseconds (performance.now) to a wall-clock ISO time. */
function wallTime(monotonicMs: number): string {
  return new Date(Date.now() + (monotonicMs - performance.now())).toISOString();
}

export const ChallengeOutcomeRef = builder.objectRef<ChallengeOutcome & { sessionId?: string }>('ChallengeOutcome').implement({
  description:
    'How a movement challenge ended. CHALLENGE_PASSED means the challenge was completed; it rejects still photos and screens showing a still image. It is not presentation attack detection tested under ISO/IEC 30107-3, and says nothing about video replays, face swaps or masks.',
  fields: (t) => ({
    result: t.field({ type: ChallengeResultEnum, resolve: (o) => o.result }),
    reasons: t.field({ type: [ChallengeReasonEnum], description: 'Why it was not completed (empty when completed).', resolve: (o) => o.reasons }),
    steps: t.field({ type: [ChallengeActionEnum], description: 'The steps that were drawn, revealed now that it is over.', resolve: (o) => o.steps }),
    completedSteps: t.exposeInt('completedSteps'),
    framesAnalysed: t.exposeInt('framesAnalysed'),
    startedAt: t.string({ resolve: (o) => o.startedAt.toISOString() }),
    endedAt: t.string({ resolve: (o) => o.endedAt.toISOString() }),
  }),
});

export const ChallengeProgressRef = builder.objectRef<ChallengeProgress>('ChallengeProgress').implement({
  description: 'Where the movement challenge stands after a frame. It carries instructions and guidance, never scores or thresholds.',
  fields: (t) => ({
    state: t.field({ type: ChallengeStateEnum, resolve: (p) => p.state }),
    step: t.exposeInt('step', { description: 'The step being performed or next to come, from 1; 0 while the baseline is taken.' }),
    steps: t.exposeInt('steps', { description: 'Steps in this challenge.' }),
    instruction: t.field({
      type: ChallengeActionEnum,
      nullable: true,
      description: 'What to do now; null until a step is revealed.',
      resolve: (p) => p.instruction,
    }),
    deadline: t.string({
      nullable: true,
      description: 'When the current step times out (ISO 8601).',
      resolve: (p) => (p.deadlineAt === null ? null : wallTime(p.deadlineAt)),
    }),
    guidance: t.field({ type: [ChallengeGuidanceEnum], resolve: (p) => p.guidance }),
    outcome: t.field({ type: ChallengeOutcomeRef, nullable: true, description: 'Set on the last frame.', resolve: (p) => p.outcome }),
  }),
});

builder.queryField('liveChallengeOutcome', (t) =>
  t.field({
    type: ChallengeOutcomeRef,
    nullable: true,
    description:
      "A live session's challenge outcome, for the relying backend: readable once after the session ended (then removed; kept 10 minutes unread). Null when unknown, not ended, already read or expired. Trust this, not what the browser reports. A session opened with an API key (every session against an enrolled subject) has its outcome read only with that key, a key with read on the subject's gallery, or an admin key on every gallery: UNAUTHENTICATED without a key, FORBIDDEN with another (a refused read does not use the outcome up). A session opened without a key: whoever holds its id. Behind a load balancer, send it to the session's replica (header X-Facegate-Replica, the session's `replica`): another replica answers SESSION_ON_OTHER_REPLICA.",
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        const sessionId = String(args.sessionId);
        // the outcome is kept in the memory of the replica that ran the session
        ctx.deps.live.assertHeldHere(sessionId);
        const audience = ctx.deps.live.challenges.outcomeAudience(sessionId);
        if (audience === undefined) return null;
        if (audience !== null) {
          const principal = await principalOf(ctx);
          if (!principal) throw new ServiceError('UNAUTHENTICATED', 'This challenge outcome is read with an API key: the one that opened the session, or one with read on its gallery');
          if (!mayReadOutcome(principal, audience)) throw new ServiceError('FORBIDDEN', 'This API key may not read this challenge outcome');
        }
        return ctx.deps.live.takeChallengeOutcome(sessionId) ?? null;
      }),
  }),
);
