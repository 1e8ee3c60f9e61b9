/**
 * Constraint violations from either driver as StoreErrors: a duplicate key becomes CONFLICT, a
 * missing referenced row (foreign key) NOT_FOUND. Shared by both Store implementations.
 */
import { StoreError, type Dialect } from './types.ts';

/** Which driver error codes mean a duplicate (`conflict`) or a missing parent row (`missingRef`). */
const CODES: Record<Dialect, { conflict(code: string): boolean; missingRef(code: string): boolean }> = {
  sqlite: { conflict: (c) => c.startsWith('SQLITE_CONSTRAINT_'), missingRef: (c) => c === 'SQLITE_CONSTRAINT_FOREIGNKEY' },
  postgres: { conflict: (c) => c === '23505', missingRef: (c) => c === '23503' },
};

/** Walks an error and its `cause` chain (drizzle wraps driver errors) for a driver error code. */
export function driverCode(e: unknown): string | undefined {
  for (let cur: any = e, depth = 0; cur && depth < 5; cur = cur.cause, depth++) {
    if (typeof cur.code === 'string' && cur.code !== 'INVALID_INPUT') return cur.code;
  }
  return undefined;
}

/**
 * Runs `fn` (a synchronous SQLite or an asynchronous PostgreSQL write) and rethrows a violated
 * constraint as StoreError CONFLICT with `messages.conflict` or NOT_FOUND with
 * `messages.missingRef`, for the kinds a message is given for. Anything else passes through.
 */
export async function mapConstraintErrors<T>(dialect: Dialect, messages: { conflict?: string; missingRef?: string }, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StoreError) throw e;
    const code = driverCode(e);
    if (code !== undefined && messages.conflict !== undefined && CODES[dialect].conflict(code)) throw new StoreError('CONFLICT', messages.conflict);
    if (code !== undefined && messages.missingRef !== undefined && CODES[dialect].missingRef(code)) throw new StoreError('NOT_FOUND', messages.missingRef);
    throw e;
  }
}
