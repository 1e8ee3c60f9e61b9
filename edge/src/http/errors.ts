/** Hono error handling shared by the edge routes: ApiError → `{"error": {"code", "message"}}` (OpenAI's shape on its routes). */
import type { Context } from 'hono';
import { ApiError } from '../../../shared/api/errors.ts';
import { storeUnavailableOr } from '../cache/d1-errors.ts';
import { toOpenAiError } from '../../../shared/api/openai/errors.ts';

export function errorResponse(thrown: unknown, c: Context): Response {
  const err = storeUnavailableOr(thrown);
  if (err instanceof ApiError) return c.json(err.toBody(), err.status as 400, err.headers());
  console.error('unhandled error:', (err as Error)?.stack ?? err);
  return c.json(new ApiError('INTERNAL', 'internal error').toBody(), 500);
}

/** The same for the OpenAI-compatible routes: `{"error": {"message", "type", "param", "code"}}`. */
export function openAiErrorResponse(thrown: unknown, c: Context): Response {
  const err = storeUnavailableOr(thrown);
  const { status, body } = toOpenAiError(err);
  if (status >= 500 && !(err instanceof ApiError)) console.error('unhandled error:', (err as Error)?.stack ?? err);
  return c.json(body, status as 400);
}
