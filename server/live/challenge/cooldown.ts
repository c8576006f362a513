/**
 * Repeated failed challenges from one source (a client address; a subject once the gallery exists) put it
 * on a cooldown: new challenge sessions for it are refused until the cooldown ends. Failures count within
 * a sliding window; INCONCLUSIVE and EXPIRED do not count (they are not evidence of an attack).
 */
export interface CooldownPolicy {
  /** Failures within `windowMs` that start a cooldown; 0 turns cooldowns off. */
  maxFailures: number;
  windowMs: number;
  cooldownMs: number;
}

export const DEFAULT_COOLDOWN: CooldownPolicy = { maxFailures: 3, windowMs: 10 * 60_000, cooldownMs: 5 * 60_000 };

/** Keys are kept at most this many (oldest evicted) so a flood of addresses cannot grow memory forever. */
const MAX_KEYS = 10_000;

export class ChallengeCooldown {
  private readonly failures = new Map<string, number[]>();
  private readonly until = new Map<string, number>();

  constructor(
    private readonly policy: CooldownPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds left on the longest cooldown among `keys`, or 0. */
  remainingMs(keys: readonly string[]): number {
    const now = this.now();
    let left = 0;
    for (const key of keys) {
      const end = this.until.get(key);
      if (end === undefined) continue;
      if (end <= now) this.until.delete(key);
      else left = Math.max(left, end - now);
    }
    return left;
  }

  recordFailure(keys: readonly string[]): void {
    if (this.policy.maxFailures <= 0) return;
    const now = this.now();
    for (const key of keys) {
      const recent = (this.failures.get(key) ?? []).filter((t) => now - t < this.policy.windowMs);
      recent.push(now);
      this.failures.delete(key);
      if (recent.length >= this.policy.maxFailures) {
        this.until.set(key, now + this.policy.cooldownMs);
      } else {
        this.failures.set(key, recent);
      }
      if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
      if (this.until.size > MAX_KEYS) this.until.delete(this.until.keys().next().value!);
    }
  }
}
