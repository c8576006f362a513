/**
 * Security headers on every response: `nosniff`, no framing (`frame-ancestors 'none'`, and
 * `X-Frame-Options` for old browsers), no referrer, and a Content-Security-Policy per kind of response:
 * - API answers (JSON, metrics) load nothing: `default-src 'none'`;
 * - GraphiQL runs our own scripts and workers only (server/graphiql.ts); Monaco and React set inline
 *   styles, hence `style-src 'unsafe-inline'`;
 * - the web client (server/static.ts): its own scripts, camera frames (blob:, mediastream:), data: icons.
 * `connect-src 'self'` covers the same-origin WebSocket too.
 */
import type { Plugin } from 'graphql-yoga';
import type { Context } from './builder.js';

const policy = (directives: Record<string, string>): string =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

const NO_FRAMING = { 'frame-ancestors': "'none'", 'base-uri': "'none'", 'form-action': "'self'" };

export const API_CSP = policy({ 'default-src': "'none'", ...NO_FRAMING });

export const GRAPHIQL_CSP = policy({
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'worker-src': "'self'",
  ...NO_FRAMING,
});

export const CLIENT_CSP = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'media-src': "'self' blob: mediastream:",
  'connect-src': "'self'",
  'worker-src': "'self' blob:",
  'object-src': "'none'",
  ...NO_FRAMING,
});

/** Headers every response carries, whatever its kind. */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Adds the headers to yoga's responses (a CSP already set, e.g. by the GraphiQL assets, is kept). */
export function useSecurityHeaders(): Plugin<Context> {
  return {
    onResponse({ response }) {
      for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) response.headers.set(name, value);
      if (!response.headers.has('content-security-policy')) {
        const html = (response.headers.get('content-type') ?? '').startsWith('text/html');
        response.headers.set('content-security-policy', html ? GRAPHIQL_CSP : API_CSP);
      }
    },
  };
}
