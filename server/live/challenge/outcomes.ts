/**
 * Final challenge outcomes, kept after their session ends so that a relying backend can read each one
 * once (`liveChallengeOutcome(sessionId)`) instead of trusting what the browser says. An outcome is
 * removed when read, and after `ttlMs` unread. Each is kept with who may read it (audience.ts); a
 * refused reader does not use it up.
 */
import type { OutcomeAudience } from './audience.js';
import type { ChallengeOutcome } from './types.js';

const MAX_OUTCOMES = 10_000;

export class ChallengeOutcomes {
  private readonly outcomes = new Map<string, { outcome: ChallengeOutcome; audience: OutcomeAudience | null; storedAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  put(sessionId: string, outcome: ChallengeOutcome, audience: OutcomeAudience | null = null): void {
    this.prune();
    this.outcomes.set(sessionId, { outcome, audience, storedAt: this.now() });
    if (this.outcomes.size > MAX_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value!);
  }

  /** Who may read the outcome (null: whoever has the id); undefined when there is none to read. */
  audience(sessionId: string): OutcomeAudience | null | undefined {
    this.prune();
    return this.outcomes.get(sessionId)?.audience;
  }

  /** The outcome, once; undefined when unknown, already read or expired. */
  take(sessionId: string): ChallengeOutcome | undefined {
    this.prune();
    const entry = this.outcomes.get(sessionId);
    this.outcomes.delete(sessionId);
    return entry?.outcome;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.outcomes) {
      if (now - entry.storedAt < this.ttlMs) break; // insertion order is storage order
      this.outcomes.delete(id);
    }
  }
}
