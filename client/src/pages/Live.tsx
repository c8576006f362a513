/**
 * Live verification (issue 5): a reference photo opens a session on the server; the camera's frames go
 * over the WebSocket (`submitFrame`, base64 JPEG) and each processed frame comes back on the
 * `liveVerification` subscription with its faces and the match decision, drawn over the video.
 *
 * Pacing: the server keeps only the newest waiting frame (latest wins), so the page keeps at most two
 * frames outstanding (one being analysed, one waiting) and never sends faster than MAX_FPS. Results
 * for later frames settle earlier outstanding ones (those were replaced and dropped on the server).
 *
 * With the movement challenge on, the server queues frames instead (a blink lasts a few frames), so more
 * may be outstanding; results carry the challenge's prompt and progress instead of scores, and the
 * session ends with its outcome.
 *
 * The frames are compared with a reference photo (`startLiveSession`) or with an enrolled subject of a
 * gallery (`startGalleryLiveSession`, with the gallery's API key): against a subject the challenge is on
 * by default, as on the server.
 */
import { createMutation, createSubscription } from '@urql/solid';
import { batch, createEffect, createSignal, on, onCleanup, Show, untrack, type JSX } from 'solid-js';
import { ApiKeyField } from '../components/ApiKeyField';
import { ChallengePanel } from '../components/ChallengePanel';
import { GalleryPicker } from '../components/GalleryPicker';
import { SubjectPicker, subjectLabel } from '../components/SubjectPicker';
import { ErrorBox } from '../components/ErrorBox';
import { FaceCanvas } from '../components/FaceCanvas';
import { ImageSource } from '../components/ImageSource';
import { graphql } from '../gql';
import type { LiveVerificationSubscription, StartLiveSessionMutation, StartSubjectLiveSessionMutation } from '../gql/graphql';
import { attachStream, drawFrame, openCamera, stopStream } from '../lib/camera';
import { COLORS, drawFaces } from '../lib/draw';
import { checkUpload, describeCameraError, describeError, messageFor, messageForCode, type HumanError } from '../lib/errors';
import { CHALLENGE_SCOPE } from '../lib/challenge';
import { fixed, ms } from '../lib/format';
import { useService } from '../lib/service';

export const StartLiveSessionDocument = graphql(`
  mutation StartLiveSession($reference: File!, $challenge: Boolean) {
    startLiveSession(reference: $reference, challenge: $challenge) {
      id
      challenge
      threshold
      expiresAt
      model
      referenceFaceCount
      referenceSelection {
        index
        ambiguous
      }
      referenceImage {
        ...ImageInfoFields
      }
      referenceFace {
        ...FaceFields
      }
    }
  }
`);

export const StartSubjectLiveSessionDocument = graphql(`
  mutation StartSubjectLiveSession($subjectId: ID!, $challenge: Boolean) {
    startGalleryLiveSession(subjectId: $subjectId, challenge: $challenge) {
      id
      challenge
      threshold
      expiresAt
      galleryId
      subject {
        id
        externalId
        displayName
        templateCount
      }
    }
  }
`);

export const SubmitFrameDocument = graphql(`
  mutation SubmitFrame($sessionId: ID!, $frame: String!) {
    submitFrame(sessionId: $sessionId, frame: $frame) {
      sequence
      accepted
      dropped
    }
  }
`);

export const StopLiveSessionDocument = graphql(`
  mutation StopLiveSession($sessionId: ID!) {
    stopLiveSession(sessionId: $sessionId)
  }
`);

export const LiveVerificationDocument = graphql(`
  subscription LiveVerification($sessionId: ID!) {
    liveVerification(sessionId: $sessionId) {
      sequence
      image {
        width
        height
      }
      faces {
        ...FaceFields
      }
      selection {
        index
        ambiguous
      }
      similarity
      match
      threshold
      latencyMs
      processed
      dropped
      error {
        code
        message
      }
      challenge {
        state
        step
        steps
        instruction
        deadline
        guidance
        outcome {
          result
          reasons
          steps
          completedSteps
        }
      }
    }
  }
`);

type FrameResult = LiveVerificationSubscription['liveVerification'];
type Subject = NonNullable<StartSubjectLiveSessionMutation['startGalleryLiveSession']['subject']>;
/** An open session: against a reference photo (its face) or an enrolled subject. */
interface Session {
  id: string;
  challenge: boolean;
  threshold: number;
  reference: StartLiveSessionMutation['startLiveSession'] | null;
  subject: Subject | null;
}
/** What the frames are compared with. */
type Target = 'reference' | 'subject';
type Phase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Frames per second the page sends at most. */
const MAX_FPS = 12;
/** Frames sent and not yet answered (one analysed, one waiting on the server). */
const MAX_OUTSTANDING = 2;
/**
 * With a challenge the server queues frames (up to 8) instead of dropping them; three in flight keep a
 * worker busy without building a queue (each waiting frame adds one analysis time to the prompt's lag).
 */
const MAX_OUTSTANDING_CHALLENGE = 3;
/** An outstanding frame older than this is forgotten (it was dropped without a result). */
const OUTSTANDING_TTL_MS = 3000;
/** Long side of the frames sent. */
const FRAME_LONG_SIDE = 640;
const JPEG_QUALITY = 0.8;

interface Verdict {
  kind: 'waiting' | 'match' | 'nomatch' | 'noface' | 'error';
  text: string;
}

function verdictOf(r: FrameResult | null): Verdict {
  if (!r) return { kind: 'waiting', text: 'Waiting for the first frame…' };
  if (r.error) return { kind: 'error', text: 'Frame skipped' };
  if (r.challenge) {
    // No scores during a challenge: only whether a face is in view until the outcome.
    const outcome = r.challenge.outcome?.result;
    if (outcome === 'CHALLENGE_PASSED') return { kind: 'match', text: 'Challenge completed' };
    if (outcome) return { kind: 'nomatch', text: outcome === 'CHALLENGE_FAILED' ? 'Challenge not completed' : outcome === 'EXPIRED' ? 'Challenge expired' : 'Inconclusive' };
    return r.faces.length > 0 ? { kind: 'waiting', text: 'Challenge running' } : { kind: 'noface', text: 'No face in view' };
  }
  if (r.match === null || r.match === undefined || r.similarity === null || r.similarity === undefined) return { kind: 'noface', text: 'No face in view' };
  return r.match ? { kind: 'match', text: `Match · ${fixed(r.similarity)}` } : { kind: 'nomatch', text: `No match · ${fixed(r.similarity)}` };
}

export default function LivePage(): JSX.Element {
  const service = useService();
  let video!: HTMLVideoElement;
  let overlay!: HTMLCanvasElement;
  const frameCanvas = document.createElement('canvas');

  const [reference, setReference] = createSignal<File | null>(null);
  const [target, setTarget] = createSignal<Target>('reference');
  const [subjectId, setSubjectId] = createSignal('');
  const [challenge, setChallenge] = createSignal(false);
  /** The server's default: the challenge runs against an enrolled subject; the box may still be unticked. */
  const chooseTarget = (t: Target): void => {
    batch(() => {
      setTarget(t);
      setChallenge(t === 'subject');
    });
  };
  const [phase, setPhase] = createSignal<Phase>('idle');
  const [session, setSession] = createSignal<Session | null>(null);
  const [sessionFile, setSessionFile] = createSignal<File | null>(null);
  const [error, setError] = createSignal<HumanError | null>(null);
  const [last, setLast] = createSignal<FrameResult | null>(null);
  const [frames, setFrames] = createSignal(0);
  const [sent, setSent] = createSignal(0);
  const [fps, setFps] = createSignal(0);
  const [roundTrip, setRoundTrip] = createSignal<number | null>(null);
  const [announce, setAnnounce] = createSignal('');

  const [startState, startSession] = createMutation(StartLiveSessionDocument);
  const [startSubjectState, startSubjectSession] = createMutation(StartSubjectLiveSessionDocument);
  const [, submitFrame] = createMutation(SubmitFrameDocument);
  const [, stopSession] = createMutation(StopLiveSessionDocument);

  let stream: MediaStream | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastSendAt = 0;
  let encoding = false;
  /** Sequence number -> when it was sent (ms, performance clock). */
  const outstanding = new Map<number, number>();
  /** Arrival times of recent results, for the frame rate. */
  let arrivals: number[] = [];
  let lastKind: Verdict['kind'] | null = null;

  const onResult = (r: FrameResult): void => {
    const now = performance.now();
    const sentAt = outstanding.get(r.sequence);
    for (const seq of [...outstanding.keys()]) if (seq <= r.sequence) outstanding.delete(seq);
    arrivals.push(now);
    arrivals = arrivals.filter((t) => now - t <= 2000);
    batch(() => {
      setLast(r);
      setFrames((n) => n + 1);
      setFps(arrivals.length >= 2 ? ((arrivals.length - 1) * 1000) / (arrivals[arrivals.length - 1]! - arrivals[0]!) : 0);
      if (sentAt !== undefined) setRoundTrip(now - sentAt);
    });
    const verdict = verdictOf(r);
    // Screen readers hear a change of state, not every frame.
    if (verdict.kind !== lastKind) {
      lastKind = verdict.kind;
      setAnnounce(verdict.kind === 'error' && r.error ? `Frame skipped. ${messageForCode(r.error.code, 'frame')}` : verdict.text.split(' · ')[0] ?? verdict.text);
    }
    drawOverlay(r);
  };

  const [results] = createSubscription(
    {
      query: LiveVerificationDocument,
      variables: () => ({ sessionId: session()?.id ?? '' }),
      pause: () => session() === null,
    },
    (_prev: FrameResult | undefined, data) => {
      onResult(data.liveVerification);
      return data.liveVerification;
    },
  );

  const drawOverlay = (r: FrameResult): void => {
    if (!r.image) return;
    if (overlay.width !== r.image.width) overlay.width = r.image.width;
    if (overlay.height !== r.image.height) overlay.height = r.image.height;
    const ctx = overlay.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    if (r.challenge) {
      drawFaces(ctx, r.faces, { scale: 1, color: (_f, i) => (i > 0 ? COLORS.other : COLORS.neutral) });
      return;
    }
    drawFaces(ctx, r.faces, {
      scale: 1,
      // The compared face in the verdict's colour, every other face grey.
      color: (_f, i) => (i !== r.selection?.index ? COLORS.other : r.match === true ? COLORS.match : r.match === false ? COLORS.noMatch : COLORS.neutral),
    });
  };

  const clearOverlay = (): void => {
    overlay.getContext('2d')?.clearRect(0, 0, overlay.width, overlay.height);
  };

  /** Grabs the current video frame, downscaled to FRAME_LONG_SIDE, as base64 JPEG. */
  const grabFrame = (): string | null => {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return null;
    const scale = Math.min(1, FRAME_LONG_SIDE / Math.max(w, h));
    frameCanvas.width = Math.round(w * scale);
    frameCanvas.height = Math.round(h * scale);
    if (scale === 1) {
      if (!drawFrame(video, frameCanvas)) return null;
    } else {
      frameCanvas.getContext('2d')?.drawImage(video, 0, 0, frameCanvas.width, frameCanvas.height);
    }
    const url = frameCanvas.toDataURL('image/jpeg', JPEG_QUALITY);
    const comma = url.indexOf(',');
    return comma >= 0 ? url.slice(comma + 1) : null;
  };

  const tick = async (): Promise<void> => {
    const s = session();
    if (!s || phase() !== 'running' || encoding) return;
    const now = performance.now();
    for (const [seq, at] of outstanding) if (now - at > OUTSTANDING_TTL_MS) outstanding.delete(seq);
    const maxOutstanding = s.challenge ? MAX_OUTSTANDING_CHALLENGE : MAX_OUTSTANDING;
    if (outstanding.size >= maxOutstanding || now - lastSendAt < 1000 / MAX_FPS) return;
    encoding = true;
    try {
      const frame = grabFrame();
      if (!frame) return;
      lastSendAt = now;
      const result = await submitFrame({ sessionId: s.id, frame }, { transport: 'ws', requestPolicy: 'network-only' });
      if (session()?.id !== s.id) return;
      if (result.error) {
        const e = describeError(result.error);
        // Frames still on their way when a challenge ended find the session gone: not an error.
        if (e.code === 'SESSION_NOT_FOUND' && last()?.challenge?.outcome) return;
        setError(e);
        // The session is gone, or the socket is: nothing more to send. Other errors concern one frame.
        if (e.code === 'SESSION_NOT_FOUND' || e.code === 'NETWORK') void stop(false);
        return;
      }
      if (error()?.argument === 'frame') setError(null);
      const ack = result.data?.submitFrame;
      if (!ack) return;
      setSent((n) => n + 1);
      if (ack.accepted) outstanding.set(ack.sequence, now);
    } finally {
      encoding = false;
    }
  };

  /** Opens the session against the chosen target; an error is a HumanError. */
  const open = async (): Promise<{ session: Session; file: File | null } | HumanError> => {
    if (target() === 'subject') {
      const result = await startSubjectSession({ subjectId: subjectId(), challenge: challenge() }, { requestPolicy: 'network-only' });
      const s = result.data?.startGalleryLiveSession;
      if (result.error || !s) return result.error ? describeError(result.error) : { code: 'INTERNAL', message: messageFor('INTERNAL') };
      return { session: { id: s.id, challenge: s.challenge, threshold: s.threshold, reference: null, subject: s.subject ?? null }, file: null };
    }
    const ref = reference()!;
    const result = await startSession({ reference: ref, challenge: challenge() }, { requestPolicy: 'network-only' });
    const s = result.data?.startLiveSession;
    if (result.error || !s) return result.error ? describeError(result.error) : { code: 'INTERNAL', message: messageFor('INTERNAL') };
    return { session: { id: s.id, challenge: s.challenge, threshold: s.threshold, reference: s, subject: null }, file: ref };
  };

  const start = async (): Promise<void> => {
    if (target() === 'subject') {
      if (!subjectId()) {
        setError({ code: 'BAD_REQUEST', message: 'Choose an enrolled subject first.' });
        return;
      }
    } else {
      const ref = reference();
      if (!ref) {
        setError({ code: 'BAD_REQUEST', message: 'Choose a reference photo first.' });
        return;
      }
      const tooLarge = checkUpload(ref, service.data()?.info.limits.maxUploadBytes, 'reference');
      if (tooLarge) {
        setError(tooLarge);
        return;
      }
    }
    batch(() => {
      setError(null);
      setPhase('starting');
      setLast(null);
      setFrames(0);
      setSent(0);
      setFps(0);
      setRoundTrip(null);
    });
    outstanding.clear();
    arrivals = [];
    lastKind = null;
    // The camera first: if it cannot start, no session is opened for nothing.
    try {
      stream = await openCamera();
      await attachStream(video, stream);
    } catch (e) {
      stopStream(stream);
      stream = null;
      setError(describeCameraError(e));
      setPhase('idle');
      return;
    }
    if (phase() !== 'starting') {
      // Stopped (or left) while the camera was starting.
      stopStream(stream);
      stream = null;
      return;
    }
    const opened = await open();
    if (phase() !== 'starting') {
      // Stopped while the session was being opened: close it rather than leave it to the idle timeout.
      if ('session' in opened) void stopSession({ sessionId: opened.session.id }, { requestPolicy: 'network-only' });
      return;
    }
    if (!('session' in opened)) {
      stopStream(stream);
      stream = null;
      setError(opened);
      setPhase('idle');
      return;
    }
    batch(() => {
      setSession(opened.session);
      setSessionFile(opened.file);
      setPhase('running');
    });
    // The subscription is sent on the socket now; give the server a moment to register it before the
    // first frame, whose result would otherwise have no subscriber to go to.
    lastSendAt = performance.now() + 250;
    timer = setInterval(() => void tick(), 1000 / 30);
  };

  /** Stops the loop, the session (if asked) and the camera. */
  const stop = async (tellServer = true): Promise<void> => {
    const s = session();
    if (phase() !== 'running' && phase() !== 'starting') return;
    setPhase('stopping');
    clearInterval(timer);
    timer = undefined;
    stopStream(stream);
    stream = null;
    video.srcObject = null;
    outstanding.clear();
    if (s && tellServer) await stopSession({ sessionId: s.id }, { transport: 'ws', requestPolicy: 'network-only' });
    batch(() => {
      // Pausing ends the subscription; the server also ends a session when its subscriber leaves.
      setSession(null);
      setPhase('stopped');
    });
    clearOverlay();
  };

  // The subscription itself failing (the socket closed, the session expired) ends the run.
  const subscriptionError = (): HumanError | null => (results.error ? describeError(results.error) : null);
  createEffect(() => {
    if (results.error && untrack(phase) === 'running') void stop(false);
  });
  // The subscription completing on its own while running: the server ended the session.
  createEffect(
    on(
      () => results.fetching,
      (fetching, was) => {
        if (was === true && !fetching && !results.error && untrack(phase) === 'running') {
          // A challenge ends its session with its outcome: that is the end, not an error.
          if (untrack(last)?.challenge?.outcome) {
            void stop(false);
            return;
          }
          setError({ code: 'SESSION_NOT_FOUND', message: messageFor('SESSION_NOT_FOUND') });
          void stop(false);
        }
      },
    ),
  );

  onCleanup(() => {
    clearInterval(timer);
    stopStream(stream);
    const s = session();
    if (s) void stopSession({ sessionId: s.id }, { transport: 'ws', requestPolicy: 'network-only' });
  });

  const verdict = (): Verdict => verdictOf(last());
  /** The challenge panel stays up after the session ended, showing the outcome. */
  const challengeShown = (): boolean => (session()?.challenge ?? false) || Boolean(last()?.challenge);
  const running = (): boolean => phase() === 'running';
  const editable = (): boolean => phase() === 'idle' || phase() === 'stopped';
  const ready = (): boolean => (target() === 'subject' ? subjectId() !== '' : reference() !== null);

  return (
    <>
      <h1 tabIndex={-1}>Live verification</h1>
      <p class="lead">
        Choose a reference photo or an enrolled subject, then start the camera: every analysed frame shows the faces found and whether the one
        in front (the most prominent, boxed in colour; other faces are grey) matches. Against an enrolled subject the movement challenge runs
        by default.
      </p>
      <div class="live-layout" classList={{ idle: !running() }}>
        <div>
          <div class="live-stage mirror" aria-describedby="live-verdict">
            <video ref={video} autoplay muted playsinline data-testid="live-video" aria-label="Camera" />
            <canvas ref={overlay} data-testid="live-overlay" aria-hidden="true" />
            <Show when={!running()}>
              <p class="camera-wait unmirror">{phase() === 'starting' ? 'Starting the camera…' : 'The camera is off.'}</p>
            </Show>
          </div>
          <div class="row actions">
            <Show
              when={running() || phase() === 'starting'}
              fallback={
                <button type="button" class="primary big" disabled={!ready() || startState.fetching || startSubjectState.fetching || phase() === 'stopping'} onClick={() => void start()}>
                  Start
                </button>
              }
            >
              <button type="button" class="danger big" onClick={() => void stop()}>
                Stop
              </button>
            </Show>
            <span class="muted" data-testid="live-state">
              {phase() === 'idle' ? 'Not started' : phase() === 'starting' ? 'Starting…' : phase() === 'running' ? 'Running' : phase() === 'stopping' ? 'Stopping…' : 'Stopped'}
            </span>
          </div>
          <ErrorBox error={error() ?? subscriptionError()} onDismiss={() => setError(null)} />
          <label class="row challenge-toggle">
            <input
              type="checkbox"
              data-testid="live-challenge-toggle"
              checked={challenge()}
              disabled={!editable()}
              onChange={(e) => setChallenge(e.currentTarget.checked)}
            />
            <span>Movement challenge</span>
          </label>
          <p class="muted small" data-testid="challenge-scope">
            {CHALLENGE_SCOPE}
          </p>
        </div>
        <div class="live-side">
          <div
            id="live-verdict"
            class="verdict"
            classList={{ 'is-match': verdict().kind === 'match', 'is-nomatch': verdict().kind === 'nomatch', 'is-waiting': !['match', 'nomatch'].includes(verdict().kind) }}
          >
            <span class="verdict-text live-verdict-text" data-testid="live-verdict">
              {session() ? verdict().text : phase() === 'stopped' ? 'Stopped' : 'Not running'}
            </span>
          </div>
          <Show when={challengeShown()}>
            <ChallengePanel progress={last()?.challenge ?? null} />
          </Show>
          <Show when={last()?.error}>
            {(e) => <p class="note">{messageForCode(e().code, 'frame')}</p>}
          </Show>
          <Show when={(last()?.faces.length ?? 0) > 1}>
            <p class="note" data-testid="live-faces-note">
              {last()!.faces.length} faces in view; the coloured box is the one compared.
              {last()!.selection?.ambiguous ? ' Two faces are about equally prominent: have one person step closer to the camera.' : ''}
            </p>
          </Show>
          <p class="visually-hidden" aria-live="polite">
            {announce()}
          </p>
          <dl class="live-stats">
            <div class="stat">
              <dt>Frames analysed</dt>
              <dd data-testid="live-frames">{frames()}</dd>
            </div>
            <div class="stat">
              <dt>Frames per second</dt>
              <dd data-testid="live-fps">{fps().toFixed(1)}</dd>
            </div>
            <div class="stat">
              <dt>Server latency</dt>
              <dd data-testid="live-latency">{ms(last()?.latencyMs)}</dd>
            </div>
            <div class="stat">
              <dt>Round trip</dt>
              <dd>{ms(roundTrip())}</dd>
            </div>
            <div class="stat">
              <dt>Frames sent</dt>
              <dd>{sent()}</dd>
            </div>
            <div class="stat">
              <dt>Dropped by server</dt>
              <dd>{last()?.dropped ?? 0}</dd>
            </div>
          </dl>
          <div class="live-reference-slot">
            <Show when={!session()}>
              <fieldset class="live-target" disabled={!editable()}>
                <legend>Compare with</legend>
                <label class="row">
                  <input type="radio" name="live-target" data-testid="live-target-reference" checked={target() === 'reference'} onChange={() => chooseTarget('reference')} />
                  <span>A reference photo</span>
                </label>
                <label class="row">
                  <input type="radio" name="live-target" data-testid="live-target-subject" checked={target() === 'subject'} onChange={() => chooseTarget('subject')} />
                  <span>An enrolled subject</span>
                </label>
              </fieldset>
              <Show
                when={target() === 'subject'}
                fallback={<ImageSource id="live-reference" label="Reference" hint="Whose face to look for." file={reference()} onChange={setReference} disabled={!editable()} />}
              >
                <ApiKeyField />
                <GalleryPicker />
                <SubjectPicker value={subjectId()} onChange={setSubjectId} />
              </Show>
            </Show>
            <Show when={session()?.reference && sessionFile()}>
              <figure class="live-reference">
                <FaceCanvas
                  image={sessionFile()!}
                  width={session()!.reference!.referenceImage.width}
                  height={session()!.reference!.referenceImage.height}
                  faces={[session()!.reference!.referenceFace]}
                  color={() => COLORS.neutral}
                  alt="The reference photo, with the face the frames are compared with"
                  testId="live-reference-canvas"
                />
                <figcaption>{session()!.challenge ? 'Reference · movement challenge' : `Reference · threshold ${fixed(session()!.threshold, 2)}`}</figcaption>
              </figure>
            </Show>
            <Show when={session()?.subject}>
              {(subject) => (
                <p class="live-subject" data-testid="live-subject">
                  Enrolled subject <strong>{subjectLabel(subject())}</strong> · {subject().templateCount} {subject().templateCount === 1 ? 'template' : 'templates'} ·{' '}
                  {session()!.challenge ? 'movement challenge' : `threshold ${fixed(session()!.threshold, 2)}`}
                </p>
              )}
            </Show>
          </div>
        </div>
      </div>
    </>
  );
}
