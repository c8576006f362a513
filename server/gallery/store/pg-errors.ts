/**
 * Which PostgreSQL failures mean "the database cannot be reached now" (down, restarting, a connection
 * cut, no connection slot) rather than a bad query: those become DATABASE_UNAVAILABLE, a typed error the
 * client may retry, instead of a masked INTERNAL. `pg` reports them as socket errors (ECONNREFUSED...),
 * as server errors of SQLSTATE class 08 or 57P0x, or as a few messages of its own without a code.
 */
import { ServiceError } from '../../errors.js';

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const PG_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /not queryable/, /^Client was closed and is not queryable/];

export function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && PG_MESSAGES.some((m) => m.test(message))) return true;
  // AggregateError (several addresses refused: localhost as ::1 and 127.0.0.1).
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionFailure);
}

/** DATABASE_UNAVAILABLE for a connection failure; any other error unchanged. */
export function asUnavailable(error: unknown): unknown {
  if (!isConnectionFailure(error)) return error;
  return new ServiceError('DATABASE_UNAVAILABLE', 'The gallery database cannot be reached right now; retry in a moment', { cause: error });
}
