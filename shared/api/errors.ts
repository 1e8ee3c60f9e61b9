/** The one error shape every Switchyard HTTP API returns: `{"error": {"code", "message"}}`. */
import { z } from 'zod';

export const ErrorCode = z.enum([
  'INVALID_JSON',
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'MODEL_UNAVAILABLE',
  'UPSTREAM_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'INTERNAL',
  'CONFLICT',
  'VERSION_NOT_FOUND',
  'VERSION_NOT_VERIFIED',
  'MODEL_INTEGRITY',
  'ORIGIN_NOT_ALLOWED',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ApiErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string(), details: z.unknown().optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_JSON: 400,
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  MODEL_UNAVAILABLE: 503,
  UPSTREAM_UNAVAILABLE: 502,
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
  CONFLICT: 409,
  VERSION_NOT_FOUND: 404,
  VERSION_NOT_VERIFIED: 409,
  MODEL_INTEGRITY: 422,
  ORIGIN_NOT_ALLOWED: 403,
};

export class ApiError extends Error {
  /** Seconds a client should wait before retrying (sent as `Retry-After` with every 429). */
  retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  get status(): number {
    return STATUS_OF[this.code];
  }
  retryAfter(seconds: number): this {
    this.retryAfterSeconds = Math.max(1, Math.ceil(seconds));
    return this;
  }
  /** Headers of the error response: `Retry-After` on every 429 (60 s when the thrower named none), and on any other error that set one (a 503). */
  headers(): Record<string, string> {
    return this.status === 429 || this.retryAfterSeconds !== undefined ? { 'retry-after': String(this.retryAfterSeconds ?? 60) } : {};
  }
  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/** Validates an already-parsed JSON value, turning zod issues into one INVALID_REQUEST error. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  throw new ApiError('INVALID_REQUEST', first ? `${first.path || 'body'}: ${first.message}` : 'invalid request', issues);
}

/**
 * Reads a request body as JSON with a byte limit, without trusting Content-Length alone: the body
 * stream is counted as it arrives and abandoned once it passes the limit.
 */
/** Decodes a whole body at once (no stream state), so one serves every request. */
const UTF8 = new TextDecoder();

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `expected application/json, got ${type}`);
  }
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ApiError('PAYLOAD_TOO_LARGE', `body is ${declared} bytes; the limit is ${maxBytes}`);
  }
  if (!req.body) throw new ApiError('INVALID_JSON', 'request body is empty');
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ApiError('PAYLOAD_TOO_LARGE', `body is over the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  // A body of one chunk (most are) is decoded as it came, without a copy.
  let bytes = chunks[0] ?? new Uint8Array(0);
  if (chunks.length > 1) {
    bytes = new Uint8Array(size);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.byteLength;
    }
  }
  const text = UTF8.decode(bytes);
  if (!text.trim()) throw new ApiError('INVALID_JSON', 'request body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ApiError('INVALID_JSON', `body is not valid JSON: ${(e as Error).message}`);
  }
  checkJsonValue(value);
  return value;
}

/** Deepest nesting any request body may have (arrays and objects); real bodies use a handful. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses, as INVALID_REQUEST, a parsed body nested deeper than `maxDepth` or holding a NUL
 * character (`\u0000`) in any string or key: PostgreSQL cannot store NUL in text and SQLite would,
 * so both tiers refuse it up front and every database behaves the same. Iterative, so a
 * 100,000-level body cannot overflow the stack.
 */
export function checkJsonValue(value: unknown, maxDepth = MAX_JSON_DEPTH, what = 'body'): void {
  const stack: [unknown, number, string][] = [[value, 0, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) throw new ApiError('INVALID_REQUEST', `${path || what}: NUL characters (\\u0000) are not accepted`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) throw new ApiError('INVALID_REQUEST', `${path || what}: nested deeper than ${maxDepth} levels`);
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\u0000')) throw new ApiError('INVALID_REQUEST', `${path || what}: NUL characters (\\u0000) are not accepted in keys`);
      stack.push([child, depth + 1, path ? `${path}.${k}` : k]);
    }
  }
}
