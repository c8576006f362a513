/**
 * Who may read a challenge's outcome (`liveChallengeOutcome`). A relying backend trusts the outcome, so
 * when the session was opened with an API key the outcome is bound to it: readable with that same key,
 * with `read` (or `admin`) on the session's gallery for sessions against an enrolled subject, or with
 * `admin` on every gallery. A session opened without a key (possible only with FACEGATE_INFERENCE_AUTH=open)
 * has no audience: whoever holds its id (an unguessable UUID) may read the outcome, as before keys existed.
 */
import { can, type Principal } from '../../gallery/keys.js';

export interface OutcomeAudience {
  /** The key that opened the session (`open` when gallery auth is off). */
  keyId: string;
  /** The gallery of the subject the session verified against; null for a reference-image session. */
  galleryId: string | null;
}

export function mayReadOutcome(principal: Principal, audience: OutcomeAudience): boolean {
  if (principal.keyId === audience.keyId) return true;
  if (audience.galleryId !== null && can(principal, 'read', audience.galleryId)) return true;
  return can(principal, 'admin', null);
}
