/**
 * Words for the movement challenge. Honest on purpose: the challenge is "completed" or "not completed";
 * it rejects still photos and screens showing a still image, and it is not presentation attack detection
 * tested under ISO/IEC 30107-3 (no claim about video replays, face swaps or masks).
 */
import type { ChallengeAction, ChallengeGuidance, ChallengeReason, ChallengeResult } from '../gql/graphql';

export const CHALLENGE_SCOPE =
  'The server asks for head turns and a blink in a random order and checks them. This rejects still photos and screens showing a still image. It is not presentation attack detection tested under ISO/IEC 30107-3, and it makes no claim about video replays, face swaps or masks.';

export function instructionText(action: ChallengeAction): string {
  switch (action) {
    case 'TURN_LEFT':
      return 'Turn your head to your left, then back';
    case 'TURN_RIGHT':
      return 'Turn your head to your right, then back';
    case 'BLINK':
      return 'Blink once';
  }
}

export function guidanceText(g: ChallengeGuidance): string {
  switch (g) {
    case 'NO_FACE':
      return 'No face in view';
    case 'MULTIPLE_FACES':
      return 'Only one person should be in view';
    case 'MOVE_CLOSER':
      return 'Move closer to the camera';
    case 'LOOK_STRAIGHT':
      return 'Look straight at the camera';
  }
}

export function resultText(result: ChallengeResult): string {
  switch (result) {
    case 'CHALLENGE_PASSED':
      return 'Challenge completed';
    case 'CHALLENGE_FAILED':
      return 'Challenge not completed';
    case 'INCONCLUSIVE':
      return 'Inconclusive: too few frames were analysed, or the session ended';
    case 'EXPIRED':
      return 'Challenge expired';
  }
}

export function reasonText(reason: ChallengeReason): string {
  const texts: Record<ChallengeReason, string> = {
    STEP_TIMEOUT: 'a step was not done in time',
    TOO_FAST: 'a movement came before the prompt could be seen',
    WRONG_DIRECTION: 'a turn went the other way',
    WRONG_ACTION: 'a turn came when a blink was asked for',
    ANTICIPATED: 'a turn came before the prompt',
    IDENTITY_MISMATCH: 'the face did not match the reference',
    MULTIPLE_FACES: 'a second face appeared',
    FACE_LOST: 'the face left the picture',
    DISCONTINUITY: 'the face jumped between frames',
    FLAT_MOTION: 'the face moved like a flat picture',
    STATIC_INPUT: 'the picture did not move like a live camera image',
    SEQUENCE: 'frames arrived out of order',
    TOO_FEW_FRAMES: 'too few frames were analysed',
    SESSION_ENDED: 'the session ended first',
  };
  return texts[reason];
}
