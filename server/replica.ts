/**
 * Routing keys for several replicas behind one load balancer (deploy/nginx). Everything but live sessions
 * is stateless and may go to any replica; a live session lives in the memory of the replica that opened
 * it. A session opened over a WebSocket stays on that socket, hence on its replica. One opened over HTTP
 * (the web client uploads its reference that way) is used next from a WebSocket or another request, which
 * must reach the same replica, so every answer names its replica:
 *
 * - every response carries `X-Facegate-Replica: <id>` (set in app.ts), and `LiveSession.replica` says it too;
 * - an HTTP response that opened a live session also sets the cookie `facegate_replica=<id>` (Path=/graphql),
 *   which a browser sends with its WebSocket upgrade (browsers cannot set headers on a WebSocket);
 * - the proxy maps the header, else the cookie, to that replica's upstream (deploy/nginx/nginx.conf);
 * - a session id starts with its replica's id, so a request that reaches another replica anyway is refused
 *   with SESSION_ON_OTHER_REPLICA (server/live/sessions.ts).
 *
 * The cookie is a routing hint, not a credential: a session id is still needed, and a session belongs to
 * the connection that claims it first.
 */
import type { Plugin } from 'graphql-yoga';
import type { Context } from './builder.js';

export const REPLICA_HEADER = 'x-facegate-replica';
export const REPLICA_COOKIE = 'facegate_replica';

/** HTTP requests whose operation opened a live session (their response sets the cookie). */
const openedSession = new WeakSet<object>();

/** Call after a resolver opened a live session: over HTTP, its response will carry the routing cookie. */
export function noteLiveSessionOpened(ctx: Context): void {
  const overSocket = (ctx as { socket?: object }).socket !== undefined;
  const request = (ctx as { request?: unknown }).request;
  if (!overSocket && typeof request === 'object' && request !== null) openedSession.add(request);
}

/** The routing cookie for a session opened over HTTP; it lives as long as an idle session may. */
export function replicaCookie(replicaId: string, maxAgeSeconds: number): string {
  return `${REPLICA_COOKIE}=${replicaId}; Path=/graphql; Max-Age=${Math.max(1, Math.ceil(maxAgeSeconds))}; HttpOnly; SameSite=Strict`;
}

/** Sets the routing cookie on the responses of HTTP requests that opened a live session. */
export function useReplicaCookie(replicaId: string, maxAgeSeconds: number): Plugin<Context> {
  const cookie = replicaCookie(replicaId, maxAgeSeconds);
  return {
    onResponse({ request, response }) {
      if (openedSession.has(request)) response.headers.append('set-cookie', cookie);
    },
  };
}
