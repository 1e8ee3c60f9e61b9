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
const MESSAGES = /Connection terminated|Connection ended|timeout exceeded when trying to connect|connection error|Client was closed|terminating connection/i;

export function isStoreUnreachable(e: unknown): boolean {
  return anyCause(e, ({ code, message }) => (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_STATES.test(code))) || (typeof message === 'string' && MESSAGES.test(message)));
}

/** The error as the client should see it: STORE_UNAVAILABLE (503, retry in a few seconds) when the database is unreachable, else unchanged. */
export function storeUnavailableOr(e: unknown): unknown {
  return isStoreUnreachable(e) ? new ApiError('STORE_UNAVAILABLE', 'the database is unreachable; retry shortly').retryAfter(5) : e;
}
