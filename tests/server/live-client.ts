/** A real graphql-ws client for the live suites, and 640x480 webcam-like frames made from LFW images. */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { lfwImagePath } from '../support/fixtures.js';

export const START_LIVE = /* GraphQL */ `
  mutation Start($ref: String!, $threshold: Float) {
    startLiveSession(referenceBase64: $ref, threshold: $threshold) {
      id expiresAt threshold model referenceFaceCount referenceImage { width height }
    }
  }`;
export const SUBMIT = /* GraphQL */ `
  mutation Submit($id: ID!, $frame: String!) { submitFrame(sessionId: $id, frame: $frame) { sequence accepted dropped } }`;
export const LIVE = /* GraphQL */ `
  subscription Live($id: ID!) {
    liveVerification(sessionId: $id) {
      sequence similarity match threshold latencyMs processed dropped
      image { width height }
      faces { box { x y width height } score landmarks { leftEye { x y } rightEye { x y } nose { x y } mouthLeft { x y } mouthRight { x y } } }
      error { code message }
    }
  }`;

export interface LiveFrame {
  sequence: number;
  similarity: number | null;
  match: boolean | null;
  threshold: number;
  latencyMs: number;
  processed: number;
  dropped: number;
  image: { width: number; height: number } | null;
  faces: { box: { x: number; y: number; width: number; height: number }; score: number; landmarks: Record<string, { x: number; y: number }> }[];
  error: { code: string; message: string } | null;
}

export function wsClient(url: string): Client {
  return createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
}

/** One query or mutation over the socket. */
export function once<T>(client: Client, query: string, variables: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  return new Promise((resolve, reject) => {
    let result: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } = {};
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          result = value as typeof result;
        },
        error: (error) => {
          if (Array.isArray(error)) resolve({ errors: error as never });
          else reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => resolve(result),
      },
    );
  });
}

/** Subscribes to a session's results; `frames` fills as they arrive. */
export function subscribeLive(client: Client, id: string) {
  const frames: LiveFrame[] = [];
  let ended = false;
  let failure: unknown;
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const dispose = client.subscribe<{ liveVerification: LiveFrame }>(
    { query: LIVE, variables: { id } },
    {
      next: (value) => {
        if (value.data?.liveVerification) frames.push(value.data.liveVerification);
        notify();
      },
      error: (error) => {
        failure = error;
        ended = true;
        notify();
      },
      complete: () => {
        ended = true;
        notify();
      },
    },
  );
  /** Waits until `predicate(frames)` holds (or fails after timeoutMs). */
  const until = async (predicate: (f: LiveFrame[]) => boolean, timeoutMs = 30_000): Promise<LiveFrame[]> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(frames)) {
      if (ended) throw new Error(`subscription ended: ${JSON.stringify(failure ?? 'complete')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${frames.length} results: ${JSON.stringify(frames.map((f) => f.sequence))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return frames;
  };
  return { frames, dispose, until, get ended() { return ended; } };
}

/** An LFW image (250x250) padded to a 640x480 frame at (left, top), as base64 JPEG. */
export async function lfwFrame(name: string, index: number, left = 195, top = 115): Promise<string> {
  const jpeg = await sharp(readFileSync(lfwImagePath(name, index)))
    .extend({ left, top, right: 640 - 250 - left, bottom: 480 - 250 - top, background: { r: 40, g: 40, b: 40 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  return jpeg.toString('base64');
}

export function lfwBase64(name: string, index: number): string {
  return readFileSync(lfwImagePath(name, index)).toString('base64');
}
