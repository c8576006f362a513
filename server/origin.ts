/**
 * The origin policy of browser connections, shared by HTTP CORS and the WebSocket upgrade (where no
 * CORS applies: a page on any site may open a socket to us, and the browser sends its cookies and
 * reaches loopback services). A socket may be opened
 * - without an `Origin` header (not a browser: CLIs, servers, tests),
 * - from the server's own origin (the `Host` the request was sent to, http or https),
 * - from an origin listed in FACEGATE_CORS_ORIGINS, or from anywhere when it is `*`.
 */
import type { IncomingMessage } from 'node:http';
import type { Config } from './config.js';

export function originAllowed(origin: string | undefined, host: string | undefined, cors: Config['http']['cors']): boolean {
  if (origin === undefined) return true;
  if (cors === '*') return true;
  if (cors !== false && cors.includes(origin)) return true;
  if (!host) return false;
  return origin === `http://${host}` || origin === `https://${host}`;
}

/** `originAllowed` for an upgrade request. */
export function requestOriginAllowed(request: IncomingMessage, cors: Config['http']['cors']): boolean {
  const origin = request.headers.origin;
  return originAllowed(origin, request.headers.host, cors);
}
