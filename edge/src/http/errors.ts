/** Hono error handling shared by the edge routes: ApiError → `{"error": {"code", "message"}}`. */
import type { Context } from 'hono';
import { ApiError } from '../../../shared/api/errors.ts';

export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof ApiError) return c.json(err.toBody(), err.status as 400, err.headers());
  console.error('unhandled error:', (err as Error)?.stack ?? err);
  return c.json(new ApiError('INTERNAL', 'internal error').toBody(), 500);
}
