/**
 * Which region answers, and what happens when one fails (REGIONAL_URLS, in order of preference).
 *
 * Policy: text the client has is never asked for again. A region that fails before its first
 * event (down, timed out, 5xx or 429) is skipped for the next one, and marked down in this isolate
 * for DOWN_MS so later requests try it last. A region that fails after text has streamed (cut,
 * frozen past the idle deadline, or ending with an error event) is not retried: the next region
 * is sent the same request with `continuation.text` = the text so far, and only its new text is
 * passed on (the region removes any repeat at the seam; its route event is dropped, the client
 * has one). The done event then carries `midstream_failover`, plus the failed region's own
 * fallback. A 4xx other than 429 is the request's fault and fails over nowhere. With no region
 * left the last failure is raised as before (UPSTREAM_INTERRUPTED once text has streamed).
 */
import type { ChatEvent, GenerateRequest } from '../../../shared/api/chat.ts';
import { MAX_CONTINUATION_CHARS } from '../../../shared/api/limits.ts';
import { edgeMetrics } from '../http/metrics.ts';

/** How long a region that failed before its first event is tried after the others. */
export const DOWN_MS = 10_000;
const downUntil = new Map<string, number>();
edgeMetrics.trackEntries('regions_marked_down', () => downUntil.size);

/** The configured regions: REGIONAL_URLS (comma-separated), else the single REGIONAL_URL. */
export function regionUrls(env: { REGIONAL_URL: string; REGIONAL_URLS?: string }): string[] {
  const list = (env.REGIONAL_URLS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : [env.REGIONAL_URL];
}

/** The regions in the order to try them: those not marked down first, each group in configured order. */
export function regionOrder(urls: string[], now = Date.now()): string[] {
  const down = (u: string) => (downUntil.get(u) ?? 0) > now;
  return [...urls.filter((u) => !down(u)), ...urls.filter(down)];
}

/** A region's failure, as one attempt reports it. */
export interface RegionFailure {
  /** region_timeout | region_unavailable | region_throttled | region_error */
  fallback: string;
  /** Some of its events were already passed on. */
  midStream: boolean;
  /** The upstream HTTP status, when it answered with one. */
  status?: number;
}

/** One region's stream; throws a RegionFailure-shaped error when it fails. */
export type RegionAttempt = (req: GenerateRequest, baseUrl: string) => AsyncIterable<ChatEvent>;

export async function* streamAcrossRegions(req: GenerateRequest, urls: string[], attempt: RegionAttempt): AsyncGenerator<ChatEvent> {
  const order = regionOrder(urls);
  let sent = '';
  let routed = false;
  const marks: string[] = [];
  for (let i = 0; i < order.length; i++) {
    const url = order[i];
    const last = i === order.length - 1;
    const continuing = sent !== '';
    let started = false;
    try {
      for await (const ev of attempt(continuing ? { ...req, continuation: { text: sent } } : req, url)) {
        if (ev.event === 'route') {
          if (routed) continue;
          routed = started = true;
          yield marks.length ? { event: 'route', data: { ...ev.data, fallbacks: union(ev.data.fallbacks ?? [], marks) } } : ev;
        } else if (ev.event === 'delta') {
          started = true;
          sent += ev.data.text;
          yield ev;
        } else if (ev.event === 'error' && !last && sent && sent.length <= MAX_CONTINUATION_CHARS) {
          // The region's own generator gave up mid-answer: another region may still continue it.
          throw Object.assign(new Error(`region error ${ev.data.code}`), { fallback: 'region_error', midStream: true });
        } else if (ev.event === 'done') {
          yield marks.length ? { event: 'done', data: { ...ev.data, fallbacks: union(ev.data.fallbacks ?? [], marks) } } : ev;
          return;
        } else {
          yield ev;
        }
      }
      return; // ended without done: the attempt itself reports that as a failure
    } catch (e) {
      const f = e as Partial<RegionFailure>;
      if (typeof f.fallback !== 'string') throw e;
      const mid = started || !!f.midStream;
      const clientFault = f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 429;
      if (last || clientFault || (mid && sent.length > MAX_CONTINUATION_CHARS)) throw e;
      if (!mid) downUntil.set(url, Date.now() + DOWN_MS);
      marks.push(f.fallback);
      if (sent) marks.push('midstream_failover');
    }
  }
}

function union(a: string[], b: string[]): string[] {
  return [...a, ...b.filter((x, i) => !a.includes(x) && b.indexOf(x) === i)];
}

/** Forgets which regions were marked down (tests). */
export function resetRegionHealth(): void {
  downUntil.clear();
}
