/**
 * W3C Trace Context: accept a valid `traceparent` (with its `tracestate`) or start a new trace,
 * and make our span for the next hop. A `tracestate` without a valid `traceparent`, or one that
 * breaks the spec's limits (512 characters, 32 list members), is dropped, as the spec requires.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TRACESTATE_MEMBER = /^[a-z0-9][_0-9a-z\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export interface Trace {
  traceId: string;
  /** The traceparent to send upstream: same trace, a new span of ours. */
  upstream: string;
  /** The caller's tracestate, passed on unchanged with `upstream` (absent when there was none or it was invalid). */
  tracestate?: string;
}

/** Two hex digits per byte value (0 → "00"): ids are made on every request, with no array of strings each time. */
const HEX = Array.from({ length: 256 }, (_, x) => x.toString(16).padStart(2, '0'));

function hex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = '';
  for (const x of b) out += HEX[x];
  return out;
}

export function traceFrom(header: string | null | undefined, tracestate?: string | null): Trace {
  const m = header?.trim().toLowerCase().match(TRACEPARENT);
  const valid = m && m[1] !== 'ff' && !/^0+$/.test(m[2]) && !/^0+$/.test(m[3]);
  const traceId = valid ? m[2] : hex(16);
  const flags = valid ? m[4] : '01';
  const state = valid ? validTracestate(tracestate) : undefined;
  return { traceId, upstream: `00-${traceId}-${hex(8)}-${flags}`, ...(state ? { tracestate: state } : {}) };
}

function validTracestate(v: string | null | undefined): string | undefined {
  if (!v || v.length > 512) return undefined;
  const members = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (!members.length || members.length > 32 || !members.every((x) => TRACESTATE_MEMBER.test(x))) return undefined;
  return members.join(',');
}

/** The headers that carry a trace to the next hop (or back to the caller). */
export function traceHeaders(t: Trace): Record<string, string> {
  return { traceparent: t.upstream, ...(t.tracestate ? { tracestate: t.tracestate } : {}) };
}
