/** W3C Trace Context: accept a valid `traceparent` or start a new trace, and make our span for the next hop. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface Trace {
  traceId: string;
  /** The traceparent to send upstream: same trace, a new span of ours. */
  upstream: string;
}

function hex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export function traceFrom(header: string | null | undefined): Trace {
  const m = header?.trim().toLowerCase().match(TRACEPARENT);
  const valid = m && m[1] !== 'ff' && !/^0+$/.test(m[2]) && !/^0+$/.test(m[3]);
  const traceId = valid ? m[2] : hex(16);
  const flags = valid ? m[4] : '01';
  return { traceId, upstream: `00-${traceId}-${hex(8)}-${flags}` };
}
