/**
 * OpenAI's error shape for the OpenAI-compatible routes of both tiers: `{error: {message, type,
 * param, code}}` with the same HTTP status as Switchyard's own error. The type and code of each
 * Switchyard error are a table here; nothing else in the routes knows OpenAI's vocabulary.
 */
import { ApiError, type ErrorCode } from '../errors.ts';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Switchyard code → OpenAI's error type and code (OpenAI's own names where it has one). */
const OPENAI_ERROR: Record<ErrorCode, { type: string; code: string }> = {
  INVALID_JSON: { type: 'invalid_request_error', code: 'invalid_json' },
  INVALID_REQUEST: { type: 'invalid_request_error', code: 'invalid_value' },
  PAYLOAD_TOO_LARGE: { type: 'invalid_request_error', code: 'request_too_large' },
  UNSUPPORTED_MEDIA_TYPE: { type: 'invalid_request_error', code: 'unsupported_media_type' },
  NOT_FOUND: { type: 'invalid_request_error', code: 'not_found' },
  UNAUTHORIZED: { type: 'invalid_request_error', code: 'invalid_api_key' },
  FORBIDDEN: { type: 'permission_error', code: 'forbidden' },
  RATE_LIMITED: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  QUOTA_EXCEEDED: { type: 'insufficient_quota', code: 'insufficient_quota' },
  MODEL_UNAVAILABLE: { type: 'server_error', code: 'model_unavailable' },
  UPSTREAM_UNAVAILABLE: { type: 'server_error', code: 'upstream_unavailable' },
  STORE_UNAVAILABLE: { type: 'server_error', code: 'store_unavailable' },
  INTERNAL: { type: 'server_error', code: 'internal_error' },
  CONFLICT: { type: 'invalid_request_error', code: 'conflict' },
  VERSION_NOT_FOUND: { type: 'invalid_request_error', code: 'model_not_found' },
  VERSION_NOT_VERIFIED: { type: 'invalid_request_error', code: 'model_not_verified' },
  MODEL_INTEGRITY: { type: 'server_error', code: 'model_integrity' },
  ORIGIN_NOT_ALLOWED: { type: 'permission_error', code: 'origin_not_allowed' },
};

/** A 400 about one request parameter (`param` in OpenAI's dotted/indexed form, e.g. `messages[2].role`). */
export function paramError(param: string, message: string, code: 'unsupported_parameter' | 'unsupported_value' | 'invalid_value' = 'invalid_value'): ApiError {
  return new ApiError('INVALID_REQUEST', message, { param, openaiCode: code });
}

/** `messages.2.role` (zod's path) → `messages[2].role` (OpenAI's). */
export function openAiParam(path: readonly PropertyKey[]): string | null {
  if (!path.length) return null;
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

export function openAiErrorBody(err: ApiError): OpenAiErrorBody {
  const d = err.details as { param?: string; openaiCode?: string } | { path: string }[] | undefined;
  const fromIssues = Array.isArray(d) && d[0]?.path ? openAiParam(d[0].path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))) : null;
  const param = !Array.isArray(d) && d?.param ? d.param : fromIssues;
  const m = OPENAI_ERROR[err.code];
  return { error: { message: err.message, type: m.type, param, code: (!Array.isArray(d) && d?.openaiCode) || m.code } };
}

/** Any thrown value as an OpenAI error body and status (unknown errors: 500, logged by the caller). */
export function toOpenAiError(err: unknown): { status: number; body: OpenAiErrorBody } {
  const e = err instanceof ApiError ? err : new ApiError('INTERNAL', 'internal error');
  return { status: e.status, body: openAiErrorBody(e) };
}
