/** Hono error handler of the region's OpenAI- and Cohere-compatible routes: `{error: {message, type, param, code}}`. */
import type { Context } from 'hono';
import { ApiError } from '../../../../shared/api/errors.ts';
import { toOpenAiError } from '../../../../shared/api/openai/errors.ts';
import { storeUnavailableOr } from '../../store/unreachable.ts';
import { redactPii } from '../../../../shared/privacy/pii.ts';

export function openAiErrors(thrown: unknown, c: Context): Response {
  const err = storeUnavailableOr(thrown);
  const { status, body } = toOpenAiError(err);
  // A stack for what nothing expected; a known 5xx (the database unreachable, a model missing) is in the request log.
  if (status >= 500 && !(err instanceof ApiError)) console.error('unhandled error:', redactPii(String((err as Error)?.stack ?? err)));
  // Every 429 says when to come back (ApiError.headers), as on the native routes.
  const headers = err instanceof ApiError ? err.headers() : status === 429 ? { 'retry-after': '60' } : {};
  return c.json(body, status as 400, headers);
}
