/**
 * One simulated attack on a challenge session over the real socket: opens a session with a reference
 * photo and `challenge: true`, streams prepared frames at a fixed rate until the challenge ends, and
 * reads the outcome once more through `liveChallengeOutcome`, as a relying backend would.
 * Shared by `npm run bench:challenge` and tests/server/live-challenge.test.ts.
 */
import type { Client } from 'graphql-ws';
import { once, wsClient } from '../../tests/server/live-client.js';

export const START_CHALLENGE = /* GraphQL */ `
  mutation StartChallenge($ref: String!) {
    startLiveSession(referenceBase64: $ref, challenge: true) { id challenge }
  }`;
export const SUBMIT_FRAME = /* GraphQL */ `
  mutation Submit($id: ID!, $frame: String!) { submitFrame(sessionId: $id, frame: $frame) { sequence accepted } }`;
export const CHALLENGE_FRAMES = /* GraphQL */ `
  subscription Challenge($id: ID!) {
    liveVerification(sessionId: $id) {
      sequence similarity match threshold latencyMs processed dropped
      error { code }
      challenge {
        state step steps instruction deadline guidance
        outcome { result reasons steps completedSteps framesAnalysed }
      }
    }
  }`;
export const OUTCOME = /* GraphQL */ `
  query Outcome($id: ID!) { liveChallengeOutcome(sessionId: $id) { result reasons steps completedSteps framesAnalysed } }`;

export interface Outcome {
  result: string;
  reasons: string[];
  steps: string[];
  completedSteps: number;
  framesAnalysed: number;
}

export interface ChallengeFrame {
  sequence: number;
  similarity: number | null;
  match: boolean | null;
  threshold: number | null;
  latencyMs: number;
  processed: number;
  dropped: number;
  error: { code: string } | null;
  challenge: {
    state: string;
    step: number;
    steps: number;
    instruction: string | null;
    deadline: string | null;
    guidance: string[];
    outcome: Outcome | null;
  } | null;
}

export interface AttackResult {
  sessionId: string;
  /** The outcome on the last pushed frame. */
  pushed: Outcome | null;
  /** The outcome read back by the backend query (once). */
  queried: Outcome | null;
  /** A second read: must be null (read once). */
  queriedAgain: Outcome | null;
  sent: number;
  frames: ChallengeFrame[];
  seconds: number;
}

/** Streams `frames` (base64 JPEG, cycled) at `fps` until the session's challenge ends or `maxSeconds` pass. */
export async function attack(url: string, reference: string, frames: readonly string[], fps = 15, maxSeconds = 60): Promise<AttackResult> {
  const ws: Client = wsClient(url);
  try {
    const started = await once<{ startLiveSession: { id: string } }>(ws, START_CHALLENGE, { ref: reference });
    if (!started.data) throw new Error(`startLiveSession failed: ${JSON.stringify(started.errors)}`);
    const id = started.data.startLiveSession.id;
    const received: ChallengeFrame[] = [];
    let ended = false;
    const done = new Promise<void>((resolve) => {
      ws.subscribe<{ liveVerification: ChallengeFrame }>(
        { query: CHALLENGE_FRAMES, variables: { id } },
        {
          next: (value) => {
            if (value.data?.liveVerification) received.push(value.data.liveVerification);
          },
          error: () => {
            ended = true;
            resolve();
          },
          complete: () => {
            ended = true;
            resolve();
          },
        },
      );
    });
    const t0 = Date.now();
    let sent = 0;
    let next = t0;
    while (!ended && Date.now() - t0 < maxSeconds * 1000) {
      const receipt = await once<{ submitFrame: { sequence: number } }>(ws, SUBMIT_FRAME, { id, frame: frames[sent % frames.length] });
      if (!receipt.data) break; // the session ended between two frames (SESSION_NOT_FOUND)
      sent++;
      next += 1000 / fps;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    const seconds = (Date.now() - t0) / 1000;
    const read = async () => (await once<{ liveChallengeOutcome: Outcome | null }>(ws, OUTCOME, { id })).data?.liveChallengeOutcome ?? null;
    const queried = await read();
    const queriedAgain = await read();
    const pushed = received.map((f) => f.challenge?.outcome).find((o) => o) ?? null;
    return { sessionId: id, pushed, queried, queriedAgain, sent, frames: received, seconds };
  } finally {
    await ws.dispose();
  }
}
