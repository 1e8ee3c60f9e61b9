/**
 * The soak bench's steady request mix, one request per call of `next()`: chat sessions at the edge
 * (the traffic replay's seeded sessions: templates, cache, follow-ups, LLM), the edge's classifier,
 * and the region's embeddings and rerank routes. Each session is its own shopper (its own client
 * address, as Cloudflare sets CF-Connecting-IP), so the edge's per-client limits see real clients.
 * Records requests, errors (non-2xx, transport failures, chat error events) and marked fallbacks.
 */
import { SseParser } from '../../shared/api/sse.ts';
import type { Session } from '../traffic/sessions.ts';

/** An answer as an event stream (the soak's `pipe` reference Worker), read into the JSON answer's shape. */
function fromEventStream(text: string): Record<string, unknown> {
  const reply: Record<string, unknown> = {};
  for (const ev of new SseParser().push(`${text}\n\n`)) if (ev.event === 'route' || ev.event === 'done' || ev.event === 'error') reply[ev.event] = ev.data;
  return reply;
}

export type Kind = 'chat' | 'classify' | 'embeddings' | 'rerank';
/** Shares of the mix, per kind (chat turns dominate, as on a store's site). */
export const WEIGHTS: Record<Kind, number> = { chat: 0.7, classify: 0.1, embeddings: 0.1, rerank: 0.1 };

export interface Tally {
  requests: Record<Kind, number>;
  errors: Record<Kind, number>;
  /** Chat answers marked with a fallback (not errors: they are answers), by fallback. */
  fallbacks: Record<string, number>;
  /** The first few errors, for the report. */
  samples: string[];
  /** Client round trips (ms) per kind, answered or not. */
  ms: Record<Kind, number[]>;
  /**
   * Per minute of the run (index 0 = the first): requests sent, and chats the region answered
   * (route path `llm`), so a floor that levels off can be told from a load that fell.
   */
  perMinute: { requests: number[]; upstreamChats: number[] };
}

/** p50, p99 and max of round trips (ms). */
export function latency(ms: number[]): { p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(s.at(-1) ?? NaN) };
}

export function mixDriver(o: { edgeUrl: string; regionUrl: string; regionKey: string; sessions: () => Session; texts: string[]; random: () => number; sessionPool?: number }) {
  const tally: Tally = { requests: { chat: 0, classify: 0, embeddings: 0, rerank: 0 }, errors: { chat: 0, classify: 0, embeddings: 0, rerank: 0 }, fallbacks: {}, samples: [], ms: { chat: [], classify: [], embeddings: [], rerank: [] }, perMinute: { requests: [], upstreamChats: [] } };
  const t0 = performance.now();
  const count = (series: number[]) => {
    const m = Math.floor((performance.now() - t0) / 60_000);
    while (series.length <= m) series.push(0);
    series[m]++;
  };
  let visitor = 0;
  const pick = <T>(xs: T[]) => xs[Math.floor(o.random() * xs.length)];
  const fail = (kind: Kind, what: string) => {
    tally.errors[kind]++;
    if (tally.samples.length < 20) tally.samples.push(`${kind}: ${what.slice(0, 200)}`);
  };
  const post = async (kind: Kind, url: string, body: unknown, headers: Record<string, string>) => {
    tally.requests[kind]++;
    count(tally.perMinute.requests);
    const t0 = performance.now();
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (res.status >= 300) return fail(kind, `HTTP ${res.status} ${text}`);
      return res.headers.get('content-type')?.startsWith('text/event-stream') ? fromEventStream(text) : JSON.parse(text);
    } catch (e) {
      fail(kind, `${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      tally.ms[kind].push(performance.now() - t0);
    }
  };
  const region = { authorization: `Bearer ${o.regionKey}` };

  /** One visitor's whole session, turn by turn. */
  async function chatSession(): Promise<void> {
    const s = o.sessions();
    const n = ++visitor;
    const ip = { 'cf-connecting-ip': `${n % 2 ? '198.51.100' : '203.0.113'}.${(n >> 1) % 254 + 1}` };
    for (const turn of s.turns) {
      const r = await post('chat', `${o.edgeUrl}/v1/chat`, { message: turn.message, sessionId: `soak-${o.sessionPool ? n % o.sessionPool : n}` }, ip);
      if (r?.route?.path === 'llm') count(tally.perMinute.upstreamChats);
      if (r?.error) fail('chat', `error event ${JSON.stringify(r.error)}`);
      else for (const f of new Set<string>([...(r?.route?.fallbacks ?? []), ...(r?.done?.fallbacks ?? [])])) tally.fallbacks[f] = (tally.fallbacks[f] ?? 0) + 1;
    }
  }

  async function next(): Promise<void> {
    let x = o.random();
    const kind = (Object.keys(WEIGHTS) as Kind[]).find((k) => (x -= WEIGHTS[k]) < 0) ?? 'chat';
    const ip = { 'cf-connecting-ip': `192.0.2.${Math.floor(o.random() * 254) + 1}` };
    if (kind === 'chat') return chatSession();
    if (kind === 'classify') return void (await post('classify', `${o.edgeUrl}/v1/classify`, { texts: [pick(o.texts), pick(o.texts)] }, ip));
    if (kind === 'embeddings') return void (await post('embeddings', `${o.regionUrl}/v1/embeddings`, { input: [pick(o.texts), pick(o.texts), pick(o.texts)] }, region));
    await post('rerank', `${o.regionUrl}/v1/rerank`, { query: pick(o.texts), documents: Array.from({ length: 8 }, () => pick(o.texts)), top_n: 3 }, region);
  }
  return { tally, next };
}

/**
 * Closed load: `concurrency` arrivals back to back until `until` (performance.now() ms). The rate
 * is what the machine answers, so it varies with the machine's load. Resolves 0 (none dropped).
 */
export async function closedLoad(next: () => Promise<void>, o: { concurrency: number; until: number }): Promise<number> {
  await Promise.all(Array.from({ length: o.concurrency }, async () => { while (performance.now() < o.until) await next(); }));
  return 0;
}

/**
 * Open load: `rate` arrivals a minute at even intervals until `until`, each started on time whatever
 * the ones before are doing (a visitor does not wait for another's answer). An arrival due while
 * `maxInFlight` are still going is dropped and counted (a machine that cannot keep up shows there,
 * not as a slower rate). Resolves, once the last one sent has ended, the number dropped and the most
 * that were in flight at once (a machine that keeps up holds a few; one that falls behind, many).
 */
export async function openLoad(next: () => Promise<void>, o: { rate: number; maxInFlight: number; until: number }): Promise<{ dropped: number; peakInFlight: number }> {
  const every = 60_000 / o.rate;
  const going = new Set<Promise<void>>();
  let dropped = 0;
  let peakInFlight = 0;
  for (let due = performance.now(); due < o.until; due += every) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (going.size >= o.maxInFlight) {
      dropped++;
      continue;
    }
    const one: Promise<void> = next().finally(() => going.delete(one));
    going.add(one);
    peakInFlight = Math.max(peakInFlight, going.size);
  }
  await Promise.all(going);
  return { dropped, peakInFlight };
}
