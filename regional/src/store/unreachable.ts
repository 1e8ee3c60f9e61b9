/**
 * Tells a database that cannot be reached (connection refused, reset or ended, a connect timeout,
 * the server shutting down) from a query that went wrong, through drizzle's wrapping (`cause`).
 * The HTTP layer answers the first with 503 STORE_UNAVAILABLE and Retry-After, never a bare 500.
 */
import { anyCause } from '../../../shared/api/error-causes.ts';
import { ApiError } from '../../../shared/api/errors.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now). */
const PG_STATES = /^(08...|57P0[123])$/;
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection due to administrator command/i;

export function isStoreUnreachable(e: unknown): boolean {
  // pg's own words for a lost connection; or a network failure under a query drizzle ran (a
  // remote backend's ECONNREFUSED, which never passes through drizzle, is not the database's).
  if (anyCause(e, ({ message }) => typeof message === 'string' && MESSAGES.test(message))) return true;
  const query = anyCause(e, ({ message }) => typeof message === 'string' && message.startsWith('Failed query'));
  return query && anyCause(e, ({ code }) => typeof code === 'string' && (NETWORK_CODES.has(code) || PG_STATES.test(code)));
}

/** The error as the client should see it: STORE_UNAVAILABLE (503, retry in a few seconds) when the database is unreachable, else unchanged. */
export function storeUnavailableOr(e: unknown): unknown {
  return isStoreUnreachable(e) ? new ApiError('STORE_UNAVAILABLE', 'the database is unreachable; retry shortly').retryAfter(5) : e;
}
