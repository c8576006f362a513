/**
 * Live verification sessions. A session holds a reference face's embedding; webcam frames arrive over
 * the socket and are scored against it. Latest frame wins: while one frame is being analysed, a newer
 * frame replaces the pending one (never a growing queue) and the replaced frame counts as dropped. A
 * session has at most one analysis in flight. Sessions end when their subscriber goes away, on stop,
 * and after an idle timeout; their number is capped per server and per owner (a connection).
 *
 * Ownership: a session belongs to its owner (server/live/owner.ts: the WebSocket connection that opened
 * it). A session opened without one (over HTTP) is unclaimed: its id is a one-time hand-over token, and
 * the first connection that uses it becomes the owner. Any other caller gets SESSION_NOT_FOUND, exactly
 * as for an id that never existed.
 *
 * A session may run a movement challenge (server/live/challenge/): its frames then also get 68 landmarks,
 * they queue (bounded) instead of replacing each other, since a blink lasts only a few frames, results
 * carry the challenge's progress instead of scores, and the session ends with the challenge.
 *
 * Replicas: behind a load balancer each replica holds only its own sessions. A session id starts with
 * the replica's id (`<replica>.<uuid>`), so a request that reaches another replica is refused with
 * SESSION_ON_OTHER_REPLICA naming the replica to go to, never a misleading SESSION_NOT_FOUND.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isFaceError, type Face, type FaceSelection, type ImageInfo, type Point } from '../../models/index.js';
import { ServiceError, type ApiErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { Channel } from './channel.js';
import type { OutcomeAudience } from './challenge/audience.js';
import { ChallengeService, type ChallengeRun } from './challenge/run.js';
import type { ChallengeProgress } from './challenge/types.js';

export interface LiveLimits {
  /** Live sessions per server. */
  maxSessions: number;
  /** Live sessions per owner (a WebSocket connection, or an HTTP client address). */
  maxSessionsPerOwner: number;
  /** A session with no frame and no subscriber for this long is closed. */
  idleTimeoutMs: number;
  /** Largest decoded frame message (bytes of image data). */
  maxFrameBytes: number;
  /** Frames accepted per second per session (token bucket, bursts up to one second's worth). */
  maxFps: number;
  /** Not a limit: this replica's id, which starts every session id (absent: plain UUIDs). */
  replicaId?: string;
}

/** The replica a session id names (`<replica>.<uuid>`), or null for a plain id. */
export function replicaOfSession(sessionId: string): string | null {
  const dot = sessionId.indexOf('.');
  return dot > 0 ? sessionId.slice(0, dot) : null;
}

/** What the analyser reports for one frame. */
export interface FrameAnalysis {
  image: ImageInfo;
  /** Every face, largest first (empty when none). */
  faces: Face[];
  /** Which face was embedded (the most prominent), or null when there is no face. */
  selection: FaceSelection | null;
  /** Unit embedding of that face, or null when there is no face. */
  embedding: Float32Array | null;
  /** 68 points of the largest face, when asked for. */
  landmarks68?: Point[] | null;
}

export type FrameAnalyser = (frame: Uint8Array, signal: AbortSignal, options: { landmarks68: boolean }) => Promise<FrameAnalysis>;

export interface ReferenceFace {
  image: ImageInfo;
  face: Face;
  faceCount: number;
  selection: FaceSelection;
  embedding: Float32Array;
  model: string;
}

/**
 * Scores a frame instead of the reference embedding: gallery-backed sessions (server/gallery/live.ts)
 * compare with every template of a subject, or name who is in front of the camera.
 */
export interface FrameScorer {
  score(analysis: FrameAnalysis): { similarity: number | null; match: boolean | null; identity: LiveIdentity | null };
}

/** Live identification: who the frames aggregated so far show (see server/gallery/live.ts). */
export interface LiveIdentity {
  decision: 'MATCH' | 'NO_MATCH' | 'AMBIGUOUS';
  subjectId: string | null;
  similarity: number | null;
  margin: number | null;
  /** Frames with a face that the decision aggregates. */
  frames: number;
}

export interface LiveFrameResult {
  sessionId: string;
  /** The sequence number submitFrame returned for this frame. */
  sequence: number;
  image: ImageInfo | null;
  faces: Face[];
  /** Which face was compared (the most prominent), or null without a face, and during a challenge. */
  selection: FaceSelection | null;
  /** Cosine similarity of that face to the reference; null without a face, and during a challenge. */
  similarity: number | null;
  match: boolean | null;
  /** Null during a challenge (no scores or thresholds are shown then). */
  threshold: number | null;
  /** From the frame's arrival to its result, milliseconds. */
  latencyMs: number;
  /** Frames processed so far in this session, this one included. */
  processed: number;
  /** Frames dropped so far (replaced while waiting, or refused by the frame-rate limit). */
  dropped: number;
  /** Set when this frame could not be analysed; the session goes on. */
  error: { code: ApiErrorCode; message: string } | null;
  /** Live identification sessions only. */
  identity: LiveIdentity | null;
  /** The movement challenge after this frame; null in a session without one. */
  challenge: ChallengeProgress | null;
}

export interface LiveSessionInfo {
  id: string;
  /** The replica that holds the session (the routing key behind a load balancer); null without one. */
  replica: string | null;
  /** Null for gallery-backed sessions (a FrameScorer compares instead). */
  reference: ReferenceFace | null;
  threshold: number;
  expiresAt: Date;
  /** Whether the session runs a movement challenge. */
  challenge: boolean;
}

export interface SubmitResult {
  sessionId: string;
  sequence: number;
  /** False when the frame-rate limit refused the frame (it counts as dropped). */
  accepted: boolean;
  dropped: number;
}

export interface LiveObserver {
  sessionsChanged(active: number): void;
  frameProcessed(latencyMs: number): void;
  frameDropped(reason: 'replaced' | 'rate_limited'): void;
}

/** Frames a challenge session keeps waiting (about half a second at 15 fps) before dropping the oldest. */
const CHALLENGE_BACKLOG = 8;

export interface StartOptions {
  /**
   * Run a movement challenge; `keys` name who is put on a cooldown after repeated failures, `audience`
   * who may read its outcome (challenge/audience.ts; absent: whoever holds the session id).
   */
  challenge?: { keys: string[]; audience?: OutcomeAudience | null };
}

interface PendingFrame {
  sequence: number;
  bytes: Uint8Array;
  receivedAt: number;
}

class LiveSession {
  nextSequence = 1;
  /** Frames waiting: at most one (latest wins), or CHALLENGE_BACKLOG with a challenge. */
  pending: PendingFrame[] = [];
  challenge: ChallengeRun | undefined;
  challengeTimer: NodeJS.Timeout | undefined;
  inFlight: AbortController | undefined;
  processed = 0;
  dropped = 0;
  tokens: number;
  lastRefill = performance.now();
  idleTimer: NodeJS.Timeout | undefined;
  readonly subscribers = new Set<Channel<LiveFrameResult>>();
  /** The newest result produced while nobody was subscribed, handed to the first subscriber. */
  unclaimed: LiveFrameResult | undefined;
  closed = false;

  constructor(
    readonly id: string,
    /** null while unclaimed (opened over HTTP, not yet used by a connection). */
    public owner: string | null,
    readonly reference: ReferenceFace | null,
    readonly threshold: number,
    maxFps: number,
    readonly scorer: FrameScorer | null = null,
  ) {
    this.tokens = maxFps;
  }
}

export class LiveSessionManager {
  private readonly sessions = new Map<string, LiveSession>();

  constructor(
    private readonly limits: LiveLimits,
    private readonly analyse: FrameAnalyser,
    private readonly observer?: LiveObserver,
    private readonly logger?: Logger,
    readonly challenges: ChallengeService = new ChallengeService(),
  ) {}

  private readonly owners = new WeakMap<object, string>();

  /** A stable owner id for a connection (its socket), for the per-connection cap and cleanup. */
  ownerOf(socket: object): string {
    let id = this.owners.get(socket);
    if (!id) {
      id = `ws:${randomUUID()}`;
      this.owners.set(socket, id);
    }
    return id;
  }

  get active(): number {
    return this.sessions.size;
  }

  /** Frame analyses running now, for any session, ended ones included (their results are discarded). */
  running = 0;

  /** Throws OVERLOADED when the owner could not open one more session (checked again by start). */
  checkCapacity(owner: string | null): void {
    if (this.sessions.size >= this.limits.maxSessions) {
      throw new ServiceError('OVERLOADED', `The server already runs ${this.limits.maxSessions} live sessions; retry later`);
    }
    if (owner === null) return;
    let owned = 0;
    for (const s of this.sessions.values()) if (s.owner === owner) owned++;
    if (owned >= this.limits.maxSessionsPerOwner) {
      throw new ServiceError('OVERLOADED', `At most ${this.limits.maxSessionsPerOwner} live sessions per connection`);
    }
  }

  /** `reference`: a face to compare with; or a FrameScorer (gallery-backed sessions). */
  start(owner: string | null, reference: ReferenceFace | FrameScorer, threshold: number, options: StartOptions = {}): LiveSessionInfo {
    this.checkCapacity(owner);
    if (options.challenge) this.challenges.admit(options.challenge.keys);
    const scorer = 'score' in reference ? reference : null;
    const id = this.limits.replicaId ? `${this.limits.replicaId}.${randomUUID()}` : randomUUID();
    const session = new LiveSession(id, owner, scorer ? null : (reference as ReferenceFace), threshold, this.limits.maxFps, scorer);
    if (options.challenge) {
      session.challenge = this.challenges.create(session.id, threshold, options.challenge.keys, options.challenge.audience ?? null);
      session.challengeTimer = setTimeout(() => this.end(session.id, 'challenge expired'), this.challenges.settings.expiryMs);
      session.challengeTimer.unref();
    }
    this.sessions.set(session.id, session);
    this.touch(session);
    this.observer?.sessionsChanged(this.sessions.size);
    this.logger?.info({ sessionId: session.id, owner, active: this.sessions.size }, 'live session started');
    return this.info(session);
  }

  info(session: LiveSession): LiveSessionInfo {
    return {
      id: session.id,
      replica: this.limits.replicaId ?? null,
      reference: session.reference,
      threshold: session.threshold,
      expiresAt: new Date(Date.now() + this.limits.idleTimeoutMs),
      challenge: session.challenge !== undefined,
    };
  }

  /**
   * The session, for its owner; an unclaimed one is claimed by the first caller that has an identity.
   * Someone else's session is "not found": ids are not an oracle of other connections' sessions.
   */
  private access(sessionId: string, caller: string | null): LiveSession {
    const session = this.sessions.get(sessionId);
    if (session && session.owner === null && caller !== null) {
      session.owner = caller;
      this.logger?.info({ sessionId, owner: caller }, 'live session claimed');
    }
    if (!session) this.assertHeldHere(sessionId);
    if (!session || session.owner !== caller) {
      throw new ServiceError('SESSION_NOT_FOUND', `No live session ${sessionId} (it ended, expired, never existed or is not yours)`);
    }
    return session;
  }

  /** Refuses, with SESSION_ON_OTHER_REPLICA, a session id that names another replica than this one. */
  assertHeldHere(sessionId: string): void {
    const holder = replicaOfSession(sessionId);
    if (holder !== null && this.limits.replicaId && holder !== this.limits.replicaId) {
      throw new ServiceError(
        'SESSION_ON_OTHER_REPLICA',
        `Live session ${sessionId} is held by replica ${holder}, and this is ${this.limits.replicaId}: send its requests with the header X-Facegate-Replica: ${holder} (or the facegate_replica cookie), or over the WebSocket that opened it`,
        { extensions: { replica: holder } },
      );
    }
  }

  /** Queues a frame (replacing any frame still waiting) and returns its sequence number. */
  submit(sessionId: string, caller: string | null, bytes: Uint8Array): SubmitResult {
    const session = this.access(sessionId, caller);
    if (bytes.byteLength === 0) throw new ServiceError('BAD_IMAGE', 'The frame is empty');
    if (bytes.byteLength > this.limits.maxFrameBytes) {
      throw new ServiceError('IMAGE_TOO_LARGE', `A frame may be at most ${this.limits.maxFrameBytes} bytes; this one is ${bytes.byteLength}`);
    }
    this.touch(session);
    const sequence = session.nextSequence++;
    if (!this.takeToken(session)) {
      session.dropped++;
      this.observer?.frameDropped('rate_limited');
      return { sessionId, sequence, accepted: false, dropped: session.dropped };
    }
    if (session.pending.length >= (session.challenge ? CHALLENGE_BACKLOG : 1)) {
      session.pending.shift();
      session.dropped++;
      this.observer?.frameDropped('replaced');
    }
    session.pending.push({ sequence, bytes, receivedAt: performance.now() });
    if (!session.inFlight) void this.drain(session);
    return { sessionId, sequence, accepted: true, dropped: session.dropped };
  }

  /** The results of a session, one per processed frame. The session ends when the subscriber leaves. */
  subscribe(sessionId: string, caller: string | null): AsyncIterableIterator<LiveFrameResult> {
    const session = this.access(sessionId, caller);
    const channel: Channel<LiveFrameResult> = new Channel(16, () => {
      session.subscribers.delete(channel);
      if (session.subscribers.size === 0) this.end(session.id, 'subscriber left');
    });
    session.subscribers.add(channel);
    if (session.unclaimed) channel.push(session.unclaimed);
    session.unclaimed = undefined;
    this.touch(session);
    return channel;
  }

  /** Ends the caller's session (`stopLiveSession`); false when it had ended, or is someone else's. */
  stop(sessionId: string, caller: string | null): boolean {
    try {
      this.access(sessionId, caller);
    } catch {
      return false;
    }
    return this.end(sessionId, 'stopped');
  }

  /** Ends a session: its subscribers complete, a waiting frame is discarded. Idempotent. */
  private end(sessionId: string, reason: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    session.closed = true;
    session.pending = [];
    clearTimeout(session.challengeTimer);
    if (session.challenge && !session.challenge.ended) {
      // Expired or ended early: the subscriber still hears how (no frame goes with it).
      session.challenge.abandon();
      const last = this.challengeEnd(session);
      for (const channel of session.subscribers) channel.push(last);
    }
    session.inFlight?.abort(new ServiceError('BAD_REQUEST', 'live session ended'));
    clearTimeout(session.idleTimer);
    this.sessions.delete(sessionId);
    for (const channel of session.subscribers) channel.close();
    session.subscribers.clear();
    this.observer?.sessionsChanged(this.sessions.size);
    this.logger?.info({ sessionId, reason, processed: session.processed, dropped: session.dropped }, 'live session ended');
    return true;
  }

  /** Ends every session of an owner (its connection closed). */
  closeOwner(owner: string): void {
    for (const s of [...this.sessions.values()]) if (s.owner === owner) this.end(s.id, 'connection closed');
  }

  /** A challenge's final outcome, once (for a backend); undefined when unknown, unread too long or already read. */
  takeChallengeOutcome(sessionId: string) {
    return this.challenges.takeOutcome(sessionId);
  }

  dispose(): void {
    for (const id of [...this.sessions.keys()]) this.end(id, 'server shutting down');
  }

  private touch(session: LiveSession): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(() => {
      // A subscriber alone does not keep a session alive: frames must keep coming.
      this.end(session.id, 'idle timeout');
    }, this.limits.idleTimeoutMs);
    session.idleTimer.unref();
  }

  private takeToken(session: LiveSession): boolean {
    const now = performance.now();
    const rate = this.limits.maxFps;
    session.tokens = Math.min(rate, session.tokens + ((now - session.lastRefill) / 1000) * rate);
    session.lastRefill = now;
    if (session.tokens < 1) return false;
    session.tokens -= 1;
    return true;
  }

  /** Analyses the pending frame, then the next one that arrived meanwhile, until none is waiting. */
  private async drain(session: LiveSession): Promise<void> {
    while (session.pending.length > 0 && !session.closed) {
      const frame = session.pending.shift()!;
      const controller = new AbortController();
      session.inFlight = controller;
      let result: LiveFrameResult;
      this.running++;
      try {
        const analysis = await this.analyse(frame.bytes, controller.signal, { landmarks68: session.challenge !== undefined });
        result = this.score(session, frame, analysis);
      } catch (error) {
        result = this.failed(session, frame, error);
      } finally {
        session.inFlight = undefined;
        this.running--;
      }
      if (session.closed) return;
      this.observer?.frameProcessed(result.latencyMs);
      if (session.subscribers.size === 0) session.unclaimed = result;
      for (const channel of session.subscribers) channel.push(result);
      if (session.challenge?.ended) this.end(session.id, 'challenge ended');
    }
  }

  private score(session: LiveSession, frame: PendingFrame, analysis: FrameAnalysis): LiveFrameResult {
    const plain = this.plainScore(session, frame, analysis);
    if (!session.challenge) return plain;
    const challenge = session.challenge.observe({
      sequence: frame.sequence,
      receivedAt: frame.receivedAt,
      bytes: frame.bytes,
      faces: analysis.faces,
      landmarks68: analysis.landmarks68 ?? null,
      fivePoints: analysis.faces[0]?.landmarks ?? null,
      similarity: plain.similarity,
    });
    return { ...plain, similarity: null, match: null, threshold: null, challenge };
  }

  private plainScore(session: LiveSession, frame: PendingFrame, analysis: FrameAnalysis): LiveFrameResult {
    session.processed++;
    let similarity: number | null = null;
    let match: boolean | null = null;
    let identity: LiveIdentity | null = null;
    if (session.scorer) {
      ({ similarity, match, identity } = session.scorer.score(analysis));
    } else if (analysis.embedding && session.reference) {
      let dot = 0;
      const ref = session.reference.embedding;
      for (let i = 0; i < ref.length; i++) dot += ref[i]! * analysis.embedding[i]!;
      similarity = Math.max(-1, Math.min(1, dot));
      match = similarity >= session.threshold;
    }
    return {
      sessionId: session.id,
      sequence: frame.sequence,
      image: analysis.image,
      faces: analysis.faces,
      selection: analysis.selection,
      similarity,
      match,
      threshold: session.threshold,
      latencyMs: performance.now() - frame.receivedAt,
      processed: session.processed,
      dropped: session.dropped,
      error: null,
      identity,
      challenge: null,
    };
  }

  private challengeEnd(session: LiveSession): LiveFrameResult {
    return {
      sessionId: session.id,
      sequence: session.nextSequence - 1,
      image: null,
      faces: [],
      selection: null,
      similarity: null,
      match: null,
      threshold: null,
      latencyMs: 0,
      processed: session.processed,
      dropped: session.dropped,
      error: null,
      identity: null,
      challenge: session.challenge!.machine.progress,
    };
  }

  private failed(session: LiveSession, frame: PendingFrame, error: unknown): LiveFrameResult {
    session.processed++;
    let code: ApiErrorCode = 'INTERNAL';
    let message = 'The frame could not be analysed';
    if (error instanceof ServiceError) {
      code = error.code;
      message = error.message;
    } else if (isFaceError(error) && error.code !== 'MODEL_LOAD_FAILED' && error.code !== 'BACKEND_UNAVAILABLE') {
      code = error.code;
      message = error.message;
    } else {
      this.logger?.error({ err: error, sessionId: session.id }, 'live frame failed');
    }
    return {
      sessionId: session.id,
      sequence: frame.sequence,
      image: null,
      faces: [],
      selection: null,
      similarity: null,
      match: null,
      threshold: session.challenge ? null : session.threshold,
      latencyMs: performance.now() - frame.receivedAt,
      processed: session.processed,
      dropped: session.dropped,
      error: { code, message },
      identity: null,
      challenge: session.challenge ? session.challenge.tick() : null,
    };
  }
}
