/**
 * Who a live session belongs to, from a request's context. Today that is the WebSocket connection the
 * request came on; an HTTP request has no lasting identity, so a session it opens starts unclaimed and
 * goes to the first connection that uses it (see sessions.ts).
 *
 * Hook for API keys (issue 11): once a request carries an authenticated key, return `key:<key id>`
 * before the connection check, so that a key's sessions can be opened over HTTP and used from any of its
 * connections, and nobody else's.
 */
import type { Context } from '../builder.js';

export function liveOwner(ctx: Context): string | null {
  const socket = (ctx as { socket?: object }).socket;
  return socket ? ctx.deps.live.ownerOf(socket) : null;
}
