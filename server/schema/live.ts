/**
 * Live verification: `startLiveSession` embeds a reference face; the client subscribes to
 * `liveVerification(sessionId)` over graphql-ws and sends webcam frames with `submitFrame` on the same
 * socket; each processed frame pushes one `LiveFrame`. See server/live/sessions.ts for the scheduling.
 */
import { builder, type Context } from '../builder.js';
import { ServiceError, tagArgument, toGraphQLError } from '../errors.js';
import type { LiveFrameResult, LiveSessionInfo, SubmitResult } from '../live/sessions.js';
import { liveOwner } from '../live/owner.js';
import { noteLiveSessionOpened } from '../replica.js';
import { FaceRef, faceChoice, FaceSelectionRef, FaceSelectorInput, guarded, ImageInfoRef, ms, readUpload } from './common.js';
import { ChallengeProgressRef } from './challenge.js';
import { principalOf } from '../gallery/principal.js';
import type { OutcomeAudience } from '../live/challenge/audience.js';

const ErrorInfoRef = builder.objectRef<{ code: string; message: string }>('FrameError').implement({
  description: 'Why one live frame could not be analysed (the session goes on).',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'One of the API error codes: BAD_IMAGE, UNSUPPORTED_FORMAT, OVERLOADED, ...' }),
    message: t.exposeString('message'),
  }),
});

export const REPLICA_FIELD_DESCRIPTION =
  'The replica that holds the session. Behind a load balancer, send it back as the X-Facegate-Replica header with every request about the session made outside the WebSocket that opened it (browsers get the facegate_replica cookie instead), so that the proxy routes them there.';

export const LiveSessionRef = builder.objectRef<LiveSessionInfo>('LiveSession').implement({
  description: 'A live verification session and its reference face.',
  fields: (t) => ({
    id: t.exposeID('id'),
    replica: t.string({ nullable: true, description: REPLICA_FIELD_DESCRIPTION, resolve: (s) => s.replica }),
    expiresAt: t.string({
      description: 'When the session ends if no frame arrives before (ISO 8601); each frame moves it on.',
      resolve: (s) => s.expiresAt.toISOString(),
    }),
    threshold: t.exposeFloat('threshold'),
    model: t.string({ resolve: (s) => s.reference!.model }),
    referenceImage: t.field({ type: ImageInfoRef, resolve: (s) => s.reference!.image }),
    referenceFace: t.field({ type: FaceRef, description: 'The face of the reference image that frames are compared with.', resolve: (s) => s.reference!.face }),
    referenceFaceCount: t.int({ resolve: (s) => s.reference!.faceCount }),
    referenceSelection: t.field({ type: FaceSelectionRef, description: 'Which face of the reference was used, and whether that was a close call.', resolve: (s) => s.reference!.selection }),
    challenge: t.exposeBoolean('challenge', { description: 'Whether the session runs a movement challenge.' }),
  }),
});

const FrameReceiptRef = builder.objectRef<SubmitResult>('FrameReceipt').implement({
  description: 'A frame was received; its result arrives on the liveVerification subscription.',
  fields: (t) => ({
    sessionId: t.exposeID('sessionId'),
    sequence: t.exposeInt('sequence', { description: 'Numbers the frames of a session from 1; results carry it.' }),
    accepted: t.exposeBoolean('accepted', { description: 'False when the frame-rate limit refused it (it counts as dropped).' }),
    dropped: t.exposeInt('dropped', { description: 'Frames dropped so far in this session.' }),
  }),
});

export const LiveFrameRef = builder.objectRef<LiveFrameResult>('LiveFrame').implement({
  description: 'The result for one processed frame.',
  fields: (t) => ({
    sessionId: t.exposeID('sessionId'),
    sequence: t.exposeInt('sequence'),
    image: t.field({ type: ImageInfoRef, nullable: true, resolve: (f) => f.image }),
    faces: t.field({ type: [FaceRef], description: 'Every face, largest first, in frame pixels.', resolve: (f) => f.faces }),
    selection: t.field({
      type: FaceSelectionRef,
      nullable: true,
      description: 'Which face was compared (the most prominent; `ambiguous` when another was nearly as prominent); null without a face.',
      resolve: (f) => f.selection,
    }),
    similarity: t.float({
      nullable: true,
      description: "Cosine similarity of the frame's compared face (see `selection`) to the reference; null without a face.",
      resolve: (f) => f.similarity,
    }),
    match: t.boolean({ nullable: true, description: 'similarity >= threshold; null without a face.', resolve: (f) => f.match }),
    threshold: t.float({ nullable: true, description: 'Null during a challenge.', resolve: (f) => f.threshold }),
    latencyMs: t.float({ description: 'From the frame arriving to this result.', resolve: (f) => ms(f.latencyMs) }),
    processed: t.exposeInt('processed', { description: 'Frames processed so far in the session, this one included.' }),
    dropped: t.exposeInt('dropped', { description: 'Frames dropped so far: replaced while waiting (latest frame wins) or over the rate limit.' }),
    error: t.field({ type: ErrorInfoRef, nullable: true, resolve: (f) => f.error }),
    challenge: t.field({
      type: ChallengeProgressRef,
      nullable: true,
      description: 'The movement challenge after this frame (similarity, match and threshold are null then); null without a challenge.',
      resolve: (f) => f.challenge,
    }),
  }),
});

/** Where a client connects from, for the challenge cooldown (the socket's peer address). */
export function clientAddress(ctx: Context): string {
  const req = (ctx as { req?: { socket?: { remoteAddress?: string } } }).req;
  return `addr:${req?.socket?.remoteAddress ?? 'unknown'}`;
}

/**
 * Who may read a challenge's outcome: the key the request carries (an invalid one fails here), or
 * nobody in particular without one (challenge/audience.ts).
 */
export async function outcomeAudience(ctx: Context, galleryId: string | null): Promise<OutcomeAudience | null> {
  const principal = await principalOf(ctx);
  return principal ? { keyId: principal.keyId, galleryId } : null;
}

/** Base64 (optionally a data: URL) to bytes, refusing what is not base64. */
export function fromBase64(value: string, argument: string): Uint8Array {
  const body = value.startsWith('data:') ? value.slice(value.indexOf(',') + 1) : value;
  const compact = body.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) {
    throw tagArgument(new ServiceError('BAD_IMAGE', 'Expected a base64-encoded JPEG or WebP image'), argument);
  }
  return Buffer.from(compact, 'base64');
}

builder.mutationField('startLiveSession', (t) =>
  t.field({
    type: LiveSessionRef,
    description:
      'Opens a live verification session against one face of a reference image (the most prominent unless `referenceFace` says otherwise): upload it as `reference` (HTTP multipart) or send it as `referenceBase64` (WebSocket). NO_FACE when it has none.',
    args: {
      reference: t.arg({ type: 'File' }),
      referenceBase64: t.arg.string({ description: 'The reference image, base64 (or a data: URL).' }),
      threshold: t.arg.float({ description: "Cosine-similarity threshold in [-1, 1]; default: the server's." }),
      referenceFace: t.arg({ type: FaceSelectorInput, description: 'Which face of the reference; default: { rule: PROMINENT }.' }),
      challenge: t.arg.boolean({
        description:
          'Run a movement challenge (turns and blinks in a random order, checked by the server); the session ends with its outcome, which a backend reads once with liveChallengeOutcome (bound to the API key the session was opened with, if any). Default false here; startGalleryLiveSession against an enrolled subject runs it by default.',
      }),
    },
    resolve: (_root, args, ctx) =>
      guarded(async () => {
        if ((args.reference == null) === (args.referenceBase64 == null)) {
          throw new ServiceError('BAD_REQUEST', 'Send exactly one of reference (file) or referenceBase64');
        }
        const threshold = args.threshold ?? ctx.deps.config.verify.threshold;
        if (!Number.isFinite(threshold) || threshold < -1 || threshold > 1) {
          throw tagArgument(new ServiceError('BAD_REQUEST', `threshold must be between -1 and 1, got ${threshold}`), 'threshold');
        }
        const bytes = args.reference
          ? await readUpload(args.reference, 'reference', ctx)
          : fromBase64(args.referenceBase64!, 'referenceBase64');
        ctx.deps.live.checkCapacity(liveOwner(ctx));
        // The outcome is bound to the key the session is opened with (none: whoever holds the id).
        const challenge = args.challenge ? { keys: [clientAddress(ctx)], audience: await outcomeAudience(ctx, null) } : undefined;
        if (challenge) ctx.deps.live.challenges.admit(challenge.keys);
        const choice = faceChoice(args.referenceFace);
        const reference = await ctx.deps.inference
          .embed(bytes, { signal: ctx.signal, ...(choice ? { choice } : {}) })
          .catch((e: unknown) => Promise.reject(tagArgument(e, 'reference')));
        const session = ctx.deps.live.start(liveOwner(ctx), reference, threshold, challenge ? { challenge } : {});
        noteLiveSessionOpened(ctx);
        return session;
      }),
  }),
);

builder.mutationField('submitFrame', (t) =>
  t.field({
    type: FrameReceiptRef,
    description:
      'Sends one frame (base64 JPEG or WebP, or a data: URL) to a live session. Latest frame wins: a frame still waiting when a newer one arrives is dropped.',
    args: {
      sessionId: t.arg.id({ required: true }),
      frame: t.arg.string({ required: true }),
    },
    resolve: (_root, args, ctx) =>
      guarded(() => {
        const bytes = fromBase64(args.frame, 'frame');
        return Promise.resolve(ctx.deps.live.submit(String(args.sessionId), liveOwner(ctx), bytes));
      }),
  }),
);

builder.mutationField('stopLiveSession', (t) =>
  t.boolean({
    description: 'Ends a live session (its subscription completes). False when it had already ended or is not yours.',
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.deps.live.stop(String(args.sessionId), liveOwner(ctx)),
  }),
);

builder.subscriptionType({ description: 'Live results over WebSocket (graphql-ws).' });

builder.subscriptionField('liveVerification', (t) =>
  t.field({
    type: LiveFrameRef,
    description: 'One result per processed frame of the session. The session ends when this subscription does.',
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      try {
        return ctx.deps.live.subscribe(String(args.sessionId), liveOwner(ctx));
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
    resolve: (frame) => frame,
  }),
);
