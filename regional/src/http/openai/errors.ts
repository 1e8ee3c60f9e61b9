/** Hono error handler of the region's OpenAI- and Cohere-compatible routes: `{error: {message, type, param, code}}`. */
import type { Context } from 'hono';
import { ApiError } from '../../../../shared/api/errors.ts';
import { toOpenAiError } from '../../../../shared/api/openai/errors.ts';
import { redactPii } from '../../../../shared/privacy/pii.ts';

export function openAiErrors(err: unknown, c: Context): Response {
  const { status, body } = toOpenAiError(err);
  if (status >= 500) console.error('unhandled error:', redactPii(String((err as Error)?.stack ?? err)));
  // Every 429 says when to come back (ApiError.headers), as on the native routes.
  const headers = err instanceof ApiError ? err.headers() : status === 429 ? { 'retry-after': '60' } : {};
  return c.json(body, status as 400, headers);
}
