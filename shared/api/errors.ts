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
  'INTERNAL',
  'CONFLICT',
  'VERSION_NOT_FOUND',
  'VERSION_NOT_VERIFIED',
  'MODEL_INTEGRITY',
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
  INTERNAL: 500,
  CONFLICT: 409,
  VERSION_NOT_FOUND: 404,
  VERSION_NOT_VERIFIED: 409,
  MODEL_INTEGRITY: 422,
};

export class ApiError extends Error {
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
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  if (!text.trim()) throw new ApiError('INVALID_JSON', 'request body is empty');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('INVALID_JSON', `body is not valid JSON: ${(e as Error).message}`);
  }
}
