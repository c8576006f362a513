/**
 * The glue between a live session and its movement challenge: turns each analysed frame into an
 * observation for the state machine, keeps outcomes for the backend and failures for the cooldown.
 * `ChallengeService` is owned by the LiveSessionManager; sessions with a challenge hold a `ChallengeRun`.
 */
import { createHash, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ServiceError } from '../../errors.js';
import { ChallengeCooldown, DEFAULT_COOLDOWN, type CooldownPolicy } from './cooldown.js';
import { DEFAULT_CHALLENGE_SETTINGS, MovementChallenge, type ChallengeSettings, type RandomInt } from './machine.js';
import type { OutcomeAudience } from './audience.js';
import { ChallengeOutcomes } from './outcomes.js';
import type { ChallengeOutcome, ChallengeProgress } from './types.js';
import type { Box, Landmarks, Point } from '../../../models/types.js';

/** What the session hands over per analysed frame. */
export interface AnalysedFrame {
  sequence: number;
  /** performance.now() at arrival. */
  receivedAt: number;
  bytes: Uint8Array;
  faces: Array<{ box: Box }>;
  landmarks68: Point[] | null;
  /** The detector's five landmarks of the same face, to cross-check the 68. */
  fivePoints: Landmarks | null;
  similarity: number | null;
}

export interface ChallengeServiceOptions {
  settings?: Partial<Omit<ChallengeSettings, 'matchThreshold'>>;
  cooldown?: CooldownPolicy;
  /** How long an unread outcome is kept for the backend. */
  outcomeTtlMs?: number;
  random?: RandomInt;
}

export class ChallengeRun {
  private lastDigest: string | null = null;
  private stored = false;

  constructor(
    readonly sessionId: string,
    readonly machine: MovementChallenge,
    private readonly keys: readonly string[],
    private readonly service: ChallengeService,
    private readonly audience: OutcomeAudience | null,
  ) {}

  get ended(): boolean {
    return this.machine.ended;
  }

  observe(frame: AnalysedFrame): ChallengeProgress {
    const digest = createHash('sha256').update(frame.bytes).digest('base64');
    const identical = digest === this.lastDigest;
    this.lastDigest = digest;
    const progress = this.machine.observe({
      sequence: frame.sequence,
      at: frame.receivedAt,
      faces: frame.faces.map((f) => f.box),
      landmarks: frame.landmarks68,
      fivePoints: frame.fivePoints,
      similarity: frame.similarity,
      identical,
    });
    this.settle();
    return progress;
  }

  /** A frame that could not be analysed still moves the clock. */
  tick(now = performance.now()): ChallengeProgress {
    const progress = this.machine.tick(now);
    this.settle();
    return progress;
  }

  /** The session is ending: expired when past the expiry, otherwise INCONCLUSIVE. */
  abandon(now = performance.now()): ChallengeOutcome {
    this.machine.tick(now);
    const outcome = this.machine.abandon();
    this.settle();
    return outcome;
  }

  private settle(): void {
    const outcome = this.machine.outcome;
    if (!outcome || this.stored) return;
    this.stored = true;
    this.service.finished(this.sessionId, outcome, this.keys, this.audience);
  }
}

export class ChallengeService {
  readonly settings: Omit<ChallengeSettings, 'matchThreshold'>;
  private readonly cooldown: ChallengeCooldown;
  private readonly outcomes: ChallengeOutcomes;
  private readonly random: RandomInt;

  constructor(options: ChallengeServiceOptions = {}) {
    this.settings = { ...DEFAULT_CHALLENGE_SETTINGS, ...options.settings };
    this.cooldown = new ChallengeCooldown(options.cooldown ?? DEFAULT_COOLDOWN);
    this.outcomes = new ChallengeOutcomes(options.outcomeTtlMs ?? 10 * 60_000);
    this.random = options.random ?? ((max) => randomInt(max));
  }

  /** Throws TOO_MANY_ATTEMPTS while any of `keys` is on a cooldown. */
  admit(keys: readonly string[]): void {
    const left = this.cooldown.remainingMs(keys);
    if (left > 0) {
      throw new ServiceError('TOO_MANY_ATTEMPTS', `Too many challenges not completed; retry in ${Math.ceil(left / 1000)} s`);
    }
  }

  /** `audience`: who may read the outcome (audience.ts); null: whoever holds the session id. */
  create(sessionId: string, matchThreshold: number, keys: readonly string[], audience: OutcomeAudience | null = null): ChallengeRun {
    const machine = new MovementChallenge({ ...this.settings, matchThreshold }, performance.now(), this.random);
    return new ChallengeRun(sessionId, machine, keys, this, audience);
  }

  /** Who may read an ended challenge's outcome; undefined when there is none to read. */
  outcomeAudience(sessionId: string): OutcomeAudience | null | undefined {
    return this.outcomes.audience(sessionId);
  }

  /** The outcome of an ended challenge, once. */
  takeOutcome(sessionId: string): ChallengeOutcome | undefined {
    return this.outcomes.take(sessionId);
  }

  finished(sessionId: string, outcome: ChallengeOutcome, keys: readonly string[], audience: OutcomeAudience | null = null): void {
    this.outcomes.put(sessionId, outcome, audience);
    if (outcome.result === 'CHALLENGE_FAILED') this.cooldown.recordFailure(keys);
  }
}
