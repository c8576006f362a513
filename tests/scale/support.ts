/**
 * What the scale suites share: whether nginx and PostgreSQL are here (skip locally, fail in CI), GraphQL
 * calls with a routing key, and the documents they send.
 */
import WebSocket from 'ws';
import { findNginx } from '../../bench/scale/cluster.js';
import { pgBaseUrl, pgSkipReason } from '../server/pg.js';

export const nginxBinary = findNginx();

/** Why the nginx suites cannot run here, or null. */
export const scaleSkipReason: string | null = !pgBaseUrl
  ? pgSkipReason
  : !nginxBinary
    ? 'nginx not found (Debian: apt-get install nginx; or set FACEGATE_NGINX): skipping the scale-out suites'
    : null;
if (scaleSkipReason) console.warn(`[facegate tests] ${scaleSkipReason}`);

/** The replica that answered a response. */
export function replicaOf(response: { headers: Headers }): string | null {
  return response.headers.get('x-facegate-replica');
}

/** A `ws` WebSocket class that sends extra upgrade headers (Origin, Cookie): what a browser would send. */
export function webSocketWithHeaders(headers: Record<string, string>): typeof WebSocket {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  } as typeof WebSocket;
}

export async function until<T>(attempt: () => Promise<T | null | undefined>, timeoutMs: number, everyMs = 25): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await attempt();
    if (value !== null && value !== undefined) return { value, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const VERIFY = /* GraphQL */ `
  mutation Verify($r: File!, $p: File!) { verify(reference: $r, probe: $p) { similarity match } }`;
export const START_LIVE_UPLOAD = /* GraphQL */ `
  mutation StartLive($reference: File!) { startLiveSession(reference: $reference) { id replica threshold } }`;
export const START_LIVE_BASE64 = /* GraphQL */ `
  mutation StartLiveB64($ref: String!) { startLiveSession(referenceBase64: $ref) { id replica threshold } }`;
export const SUBMIT = /* GraphQL */ `
  mutation Submit($id: ID!, $frame: String!) { submitFrame(sessionId: $id, frame: $frame) { sequence accepted } }`;
export const SUBJECT = /* GraphQL */ `
  query Subject($id: ID!) { subject(id: $id) { id templateCount } }`;

export { pgBaseUrl };
