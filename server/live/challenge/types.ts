/** The movement challenge's vocabulary, shared by the state machine, the sessions and the schema. */
import type { Box, Landmarks, Point } from '../../../models/types.js';

/** Turns are the subject's own left and right (an unmirrored camera sees the nose move the other way). */
export type ChallengeAction = 'TURN_LEFT' | 'TURN_RIGHT' | 'BLINK';
export const CHALLENGE_ACTIONS: readonly ChallengeAction[] = ['TURN_LEFT', 'TURN_RIGHT', 'BLINK'];

/** BASELINE: learning the face at rest; WAITING: a random hold-off before the next step is revealed. */
export type ChallengeState = 'BASELINE' | 'WAITING' | 'STEP' | 'ENDED';

export type ChallengeGuidance = 'NO_FACE' | 'MULTIPLE_FACES' | 'MOVE_CLOSER' | 'LOOK_STRAIGHT';

export type ChallengeResult = 'CHALLENGE_PASSED' | 'CHALLENGE_FAILED' | 'INCONCLUSIVE' | 'EXPIRED';

export type ChallengeReason =
  /** A step's deadline passed without the action. */
  | 'STEP_TIMEOUT'
  /** The action showed sooner after the prompt than a person can react. */
  | 'TOO_FAST'
  /** A turn the other way than asked. */
  | 'WRONG_DIRECTION'
  /** A turn during a blink step. */
  | 'WRONG_ACTION'
  /** A turn before any step was revealed. */
  | 'ANTICIPATED'
  /** A frontal frame that does not match the reference face. */
  | 'IDENTITY_MISMATCH'
  | 'MULTIPLE_FACES'
  /** No face for too long during the challenge. */
  | 'FACE_LOST'
  /** The face jumped between frames (position, size, or a turn with no frame in between). */
  | 'DISCONTINUITY'
  /** The landmarks moved as a flat picture does, not as a head. */
  | 'FLAT_MOTION'
  /** Identical frames, or landmark motion below the measured noise floor of a still picture. */
  | 'STATIC_INPUT'
  /** Frames out of order. */
  | 'SEQUENCE'
  /** Too few frames were analysed to see the action (INCONCLUSIVE). */
  | 'TOO_FEW_FRAMES'
  /** The session ended (stopped, disconnected, idle) before the challenge did (INCONCLUSIVE). */
  | 'SESSION_ENDED';

/** What the analyser saw in one frame, as the state machine consumes it. */
export interface FrameObservation {
  /** The session's sequence number of the frame (strictly increasing). */
  sequence: number;
  /** When the frame arrived, milliseconds on a monotonic clock. */
  at: number;
  /** Every face box, the one followed first. */
  faces: Box[];
  /** 68 landmarks of the first face (iBUG order), or null without a face. */
  landmarks: Point[] | null;
  /** The detector's five landmarks of the first face: frames where the 68 disagree with them are skipped. */
  fivePoints: Landmarks | null;
  /** Cosine similarity of the first face to the reference, or null without a face. */
  similarity: number | null;
  /** The frame's bytes equal the previous frame's. */
  identical: boolean;
}

export interface ChallengeOutcome {
  result: ChallengeResult;
  reasons: ChallengeReason[];
  /** The drawn steps, revealed once the challenge is over. */
  steps: ChallengeAction[];
  completedSteps: number;
  framesAnalysed: number;
  startedAt: Date;
  endedAt: Date;
}

/** What a client is shown after each frame: never scores or thresholds. */
export interface ChallengeProgress {
  state: ChallengeState;
  /** 1-based step being performed (STEP) or next to come (WAITING); 0 during BASELINE. */
  step: number;
  steps: number;
  /** The current instruction; null until a step is revealed. */
  instruction: ChallengeAction | null;
  /** When the current step times out (monotonic ms; the schema turns it into a wall-clock time). */
  deadlineAt: number | null;
  guidance: ChallengeGuidance[];
  outcome: ChallengeOutcome | null;
}
