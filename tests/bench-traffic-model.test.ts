/**
 * The pure parts of the traffic replay (scripts/traffic/): the seeded Zipf sampler, the session
 * builder's shares and determinism on the store's own data, the shoppers' think time, the p99's
 * confidence interval and the Bedrock cost arithmetic.
 * The replay itself is a benchmark (npm run bench:traffic), not a test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BASELINE_TIER, baselineCostUsd, callCostUsd, oneModel, type Pricing } from '../scripts/traffic/cost.ts';
import { rng, zipf } from '../scripts/traffic/random.ts';
import { gcEvents, gcSummary } from '../scripts/traffic/gc-pauses.ts';
import { buildSessions, TrafficMix, type Dialogue, type Labelled } from '../scripts/traffic/sessions.ts';
import { llmReason, summarize, type MessageRecord } from '../scripts/traffic/summary.ts';
import { cpuWaitBetween } from '../scripts/traffic/cpu-wait.ts';
import { describeThink, THINK_SIGMA, thinkTimes } from '../scripts/traffic/think.ts';
import { percentile, percentileInterval } from '../shared/eval/metrics.ts';

const root = 'domains/kitsune-books';
const jsonl = <T>(f: string): T[] => readFileSync(`${root}/${f}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const data = { test: jsonl<Labelled>('intents/test.jsonl'), dialogues: jsonl<Dialogue>('eval/dialogues.jsonl') };
const mix = TrafficMix.parse(JSON.parse(readFileSync(`${root}/eval/traffic-mix.json`, 'utf8')));

describe('zipf sampler', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const z = zipf(100, 1, rng(seed));
      return Array.from({ length: 50 }, z);
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('follows 1/r^s: rank 1 comes about twice as often as rank 2 and ten times rank 10 at s = 1', () => {
    const z = zipf(200, 1, rng(3));
    const counts = new Array(200).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[z()]++;
    const h = Array.from({ length: 200 }, (_, r) => 1 / (r + 1)).reduce((a, b) => a + b);
    expect(counts[0] / n).toBeCloseTo(1 / h, 2);
    expect(counts[0] / counts[1]).toBeGreaterThan(1.85);
    expect(counts[0] / counts[1]).toBeLessThan(2.15);
    expect(counts[0] / counts[9]).toBeGreaterThan(8.5);
    expect(counts[0] / counts[9]).toBeLessThan(11.5);
  });

  it('refuses an empty rank set', () => {
    expect(() => zipf(0, 1, rng(1))).toThrow(/at least one rank/);
  });
});

describe('session builder', () => {
  const sessions = buildSessions(data, mix, 3000, 42);
  const turns = sessions.flatMap((s) => s.turns);
  const share = (k: string) => turns.filter((t) => t.kind === k).length / turns.length;

  it('is deterministic for a seed', () => {
    expect(buildSessions(data, mix, 50, 42)).toEqual(sessions.slice(0, 50));
    expect(buildSessions(data, mix, 50, 43)).not.toEqual(sessions.slice(0, 50));
  });

  // The shopper's replies giving an order id or its email come on top of the drawn turns.
  const drawn = (s: (typeof sessions)[number]) => s.turns.filter((t) => t.kind !== 'id_reply' && t.kind !== 'email_reply');

  it('gives every session 1–6 turns, in the mix\'s weights', () => {
    expect(sessions.every((s) => drawn(s).length >= 1 && drawn(s).length <= 6)).toBe(true);
    const total = mix.turnWeights.reduce((a, b) => a + b);
    const ones = sessions.filter((s) => drawn(s).length === 1).length / sessions.length;
    expect(ones).toBeCloseTo(mix.turnWeights[0] / total, 1);
  });

  it('mixes in small talk, out-of-scope turns and dialogues in about the stated shares', () => {
    const questionTurns = turns.filter((t) => t.kind === 'question' || t.kind === 'oos');
    const oos = questionTurns.filter((t) => t.kind === 'oos').length / questionTurns.length;
    expect(oos).toBeGreaterThan(mix.outOfScopeShare * 0.7);
    expect(oos).toBeLessThan(mix.outOfScopeShare * 1.3);
    expect(share('small_talk')).toBeGreaterThan(0.05);
    const dialogueSessions = sessions.filter((s) => s.turns.some((t) => t.kind === 'dialogue')).length / sessions.length;
    expect(dialogueSessions).toBeGreaterThan(mix.dialogueShare * 0.8);
    expect(dialogueSessions).toBeLessThan(mix.dialogueShare * 1.2);
  });

  it('repeats popular questions, and rewords some repeats', () => {
    const q = turns.filter((t) => t.kind === 'question');
    const freq = new Map<string, number>();
    for (const t of q) freq.set(t.key, (freq.get(t.key) ?? 0) + 1);
    const top = Math.max(...freq.values());
    expect(top / q.length).toBeGreaterThan(0.08);
    const reworded = q.filter((t) => t.reworded);
    expect(reworded.length).toBeGreaterThan(0);
    expect(reworded.every((t) => t.message !== t.key)).toBe(true);
  });
});

describe('id replies (the shopper giving the order id the assistant asked for)', () => {
  const ids = mix.idReplies!;
  const idIn = new RegExp(ids.idPattern, 'i');
  const sessions = buildSessions(data, mix, 3000, 42);
  const label = new Map(data.test.map((t) => [t.text, t.label]));

  it('follow a question of the intent that names no id, in about the stated share, and carry an id', () => {
    let asked = 0;
    let replied = 0;
    for (const s of sessions) {
      s.turns.forEach((t, i) => {
        if (t.kind === 'id_reply') {
          const q = s.turns[i - 1];
          expect(label.get(q.key)).toBe(ids.intent);
          expect(idIn.test(q.message)).toBe(false);
          expect(t.message).toMatch(/\d{5}/);
        }
        if (t.kind === 'question' && label.get(t.key) === ids.intent && !idIn.test(t.message)) {
          asked++;
          if (s.turns[i + 1]?.kind === 'id_reply') replied++;
        }
      });
    }
    expect(asked).toBeGreaterThan(50);
    expect(replied / asked).toBeGreaterThan(ids.share - 0.1);
    expect(replied / asked).toBeLessThan(ids.share + 0.1);
  });

  it('leave every other turn as it is: with replies off, the same sessions without them', () => {
    const off = buildSessions(data, { ...mix, idReplies: { ...ids, share: 0 }, emailReplies: undefined }, 300, 7);
    const on = buildSessions(data, { ...mix, emailReplies: undefined }, 300, 7);
    expect(on.map((s) => ({ ...s, turns: s.turns.filter((t) => t.kind !== 'id_reply') }))).toEqual(off);
    expect(on.some((s) => s.turns.some((t) => t.kind === 'id_reply'))).toBe(true);
  });
});

describe('email replies (the shopper giving the email the order was placed with, when the region asks for it)', () => {
  const ids = mix.idReplies!;
  const emails = mix.emailReplies!;
  const idIn = new RegExp(ids.idPattern, 'i');
  const sessions = buildSessions(data, mix, 3000, 42);
  const label = new Map(data.test.map((t) => [t.text, t.label]));

  it("follow a turn naming an order id (the question, or the id reply), in about the stated share, mostly with the stand-in's address for that id", async () => {
    const { orderFor } = await import('../scripts/traffic/order-stub.ts');
    let named = 0;
    let replied = 0;
    let right = 0;
    for (const s of sessions) {
      s.turns.forEach((t, i) => {
        const names = t.kind === 'id_reply' || (t.kind === 'question' && label.get(t.key) === ids.intent && idIn.test(t.message));
        if (names) {
          named++;
          const next = s.turns[i + 1];
          if (next?.kind !== 'email_reply') return;
          replied++;
          const digits = /\d{5}/.exec(t.message)![0];
          const email = /\S+@\S+/.exec(next.message)![0];
          // The stand-in's record for the id (when it knows the id) keeps that same address.
          const order = orderFor(`KB-${digits}`, undefined, emails.emailFormat);
          if (email === emails.emailFormat.replace('{digits}', digits)) {
            right++;
            if (order) expect(order.email).toBe(email);
          }
        }
        if (t.kind === 'email_reply') expect(['id_reply', 'question']).toContain(s.turns[i - 1].kind);
      });
    }
    expect(named).toBeGreaterThan(100);
    expect(replied / named).toBeGreaterThan(emails.share - 0.1);
    expect(replied / named).toBeLessThan(emails.share + 0.1);
    expect(right / replied).toBeGreaterThan(1 - emails.wrongShare - 0.05);
    expect(right).toBeLessThan(replied);
  });

  it('leave every other turn as it is: with email replies off, the same sessions without them', () => {
    const off = buildSessions(data, { ...mix, emailReplies: { ...emails, share: 0 } }, 300, 7);
    const on = buildSessions(data, mix, 300, 7);
    expect(on.map((s) => ({ ...s, turns: s.turns.filter((t) => t.kind !== 'email_reply') }))).toEqual(off);
    expect(on.some((s) => s.turns.some((t) => t.kind === 'email_reply'))).toBe(true);
  });
});

describe('cost model', () => {
  const pricing: Pricing = { small: { in: 0.0008, out: 0.004 }, large: { in: 0.003, out: 0.015 } };

  it('bills input, output and prompt-cache reads (0.1×) and writes (1.25×) per 1,000 tokens', () => {
    // 1000 × 0.0008 + 2000 × 0.00008 + 1000 × 0.001 + 100 × 0.004 per 1000 tokens
    const c = callCostUsd({ tier: 'small', inputTokens: 1000, outputTokens: 100, cacheReadTokens: 2000, cacheWriteTokens: 1000 }, pricing);
    expect(c).toBeCloseTo((0.8 + 0.16 + 1.0 + 0.4) / 1000, 12);
    expect(callCostUsd({ tier: 'large', inputTokens: 1000, outputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0 }, pricing)).toBeCloseTo(0.018, 12);
  });

  it('prices the baseline as every message at the mean prompt, without the prompt cache, in the tier shares', () => {
    const b = baselineCostUsd({ messages: 10, meanPromptTokens: 1000, meanOutputTokens: 100, tierShares: { small: 3, large: 1 }, pricing });
    const small = (1000 * 0.0008 + 100 * 0.004) / 1000;
    const large = (1000 * 0.003 + 100 * 0.015) / 1000;
    expect(b).toBeCloseTo(10 * (0.75 * small + 0.25 * large), 12);
  });

  it("prices the issue's baseline on one model, the large one, whatever tiers the run used", () => {
    expect(BASELINE_TIER).toBe('large');
    const b = baselineCostUsd({ messages: 4, meanPromptTokens: 1000, meanOutputTokens: 100, tierShares: oneModel(BASELINE_TIER), pricing });
    expect(b).toBeCloseTo(4 * ((1000 * 0.003 + 100 * 0.015) / 1000), 12);
    expect(oneModel('small')).toEqual({ small: 1, large: 0 });
  });

  it('refuses negative or missing token counts and a baseline without LLM calls', () => {
    expect(() => callCostUsd({ tier: 'small', inputTokens: -1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, pricing)).toThrow(/inputTokens/);
    expect(() => callCostUsd({ tier: 'small', inputTokens: 1, outputTokens: Number.NaN, cacheReadTokens: 0, cacheWriteTokens: 0 }, pricing)).toThrow(/outputTokens/);
    expect(() => baselineCostUsd({ messages: 5, meanPromptTokens: 1, meanOutputTokens: 1, tierShares: { small: 0, large: 0 }, pricing })).toThrow(/tier shares/);
  });
});

describe('why a message went on to the region (llmReason)', () => {
  const decision = (confident: boolean, cache?: { hit: boolean; similarity: number | null }) => ({ confident, ...(cache ? { cache } : {}) });
  it('names the pack, the classifier, the order system, the cache or the follow-up, in that order', () => {
    expect(llmReason({ intent: 'recommendation', decision: decision(true) }, 'llm')).toBe('pack_routes_to_llm');
    expect(llmReason({ intent: 'recommendation', decision: decision(false) }, 'llm')).toBe('pack_routes_to_llm');
    expect(llmReason({ intent: 'order_status', decision: decision(false) }, 'order', ['order_lookup_unavailable'])).toBe('edge_unsure');
    expect(llmReason({ intent: 'order_status', decision: decision(true) }, 'order', ['order_lookup_unavailable'])).toBe('order_lookup_unavailable');
    expect(llmReason({ intent: 'oos', decision: decision(false) }, 'template')).toBe('edge_unsure');
    expect(llmReason({ intent: 'shipping_info', decision: decision(true, { hit: false, similarity: null }) }, 'cacheable')).toBe('cache_frame_empty');
    expect(llmReason({ intent: 'shipping_info', decision: decision(true, { hit: false, similarity: 0.7 }) }, 'cacheable')).toBe('cache_below_threshold');
    expect(llmReason({ intent: 'price_availability', decision: decision(true) }, 'catalog')).toBe('no_cache_key');
    expect(llmReason({ intent: 'unknown' }, undefined)).toBe('no_classification');
  });
});

describe('latency per path (summarize)', () => {
  const rec = (path: MessageRecord['path'], serverMs: number, extra: Partial<MessageRecord> = {}): MessageRecord => ({ session: 0, kind: 'question', path, serverMs, clientMs: serverMs + 1, fallbacks: [], ...extra });
  it('times single-flight followers and stale cache answers apart from the cache hits and the LLM calls', () => {
    const records = [
      ...Array.from({ length: 9 }, () => rec('cache', 1)),
      rec('cache', 2400, { stale: true }),
      rec('llm', 1500),
      rec('llm', 3000, { coalesced: true }),
    ];
    const s = summarize({ records, sessions: 1, calls: [], pricing: { small: { in: 0.0008, out: 0.004 }, large: { in: 0.003, out: 0.015 } }, completionOrder: [0], args: {}, wallMs: 1 });
    expect(s.latencyMs.cache).toMatchObject({ n: 9, p99: 1 });
    expect(s.latencyMs.cacheStale).toMatchObject({ n: 1, p99: 2400 });
    expect(s.latencyMs.llm).toMatchObject({ n: 1, p99: 1500 });
    expect(s.latencyMs.llmCoalesced).toMatchObject({ n: 1, p99: 3000 });
    // Shares by the path the edge said: the follower is an LLM answer, the stale one a cache answer.
    expect(s.share).toMatchObject({ cache: 0.8333, llm: 0.1667 });
    expect(s.coalescedShare).toBe(0.0833);
    expect(s.targets.templateAndCacheP99AtMost5Ms.met).toBe(true);
    expect(s.targets.templateAndCacheP99AtMost5Ms.bounded).toBe(false);
    // 9 cache hits bound the p99 below (the 8th value) and not above at 95 %.
    expect(s.latencyMs.cache).toMatchObject({ p99Ci95: [1, null], max: 1 });
  });

  it('says whether the 5 ms target could be decided: both p99s bounded above once each path has 368 answers', () => {
    const pricing = { small: { in: 0.0008, out: 0.004 }, large: { in: 0.003, out: 0.015 } };
    const run = (template: number, cache: number) => summarize({ records: [...Array.from({ length: template }, () => rec('template', 1)), ...Array.from({ length: cache }, (_, i) => rec('cache', i === 0 ? 9 : 1))], sessions: 1, calls: [], pricing, completionOrder: [0], args: {}, wallMs: 1 }).targets.templateAndCacheP99AtMost5Ms;
    expect(run(368, 368)).toMatchObject({ met: true, bounded: true });
    expect(run(368, 367)).toMatchObject({ met: true, bounded: false });
    expect(run(500, 50)).toMatchObject({ met: false, bounded: false });
  });

  it("states the run's load: messages per second and the mean number in flight", () => {
    const records = [rec('template', 1), rec('template', 1), rec('llm', 998)];
    const s = summarize({ records, sessions: 1, calls: [], pricing: { small: { in: 0.0008, out: 0.004 }, large: { in: 0.003, out: 0.015 } }, completionOrder: [0], args: {}, wallMs: 2000 });
    // 3 messages in 2 s; the clients waited 2 + 2 + 999 ms of the 2,000
    expect(s.arrivalRatePerS).toBe(1.5);
    expect(s.meanInFlight).toBe(0.5);
  });

  it('reports the edge threads\' run-queue wait per ms run between two schedstat readings', () => {
    expect(cpuWaitBetween({ runNs: 1e9, waitNs: 2e9 }, { runNs: 3e9, waitNs: 7e9 })).toEqual({ runMs: 2000, runQueueWaitMs: 5000, waitPerMsRun: 2.5 });
    expect(cpuWaitBetween(null, { runNs: 1, waitNs: 1 })).toBeNull();
  });
});

describe("shoppers' think time (thinkTimes)", () => {
  const sessions = buildSessions(data, mix, 300, 1);
  const model = { medianMs: 20_000, sigma: THINK_SIGMA, compression: 1 };
  const all = (w: number[][]) => w.flat().sort((a, b) => a - b);

  it('is back-to-back at a median of 0: one zero per turn, no draws', () => {
    const w = thinkTimes(sessions, { ...model, medianMs: 0 }, 1);
    expect(w.map((x) => x.length)).toEqual(sessions.map((s) => s.turns.length));
    expect(w.flat().every((x) => x === 0)).toBe(true);
    expect(describeThink({ ...model, medianMs: 0 })).toEqual({ model: 'back-to-back', medianMs: 0 });
  });

  it('draws a log-normal with the stated median and spread, divided by the compression', () => {
    const w = all(thinkTimes(buildSessions(data, mix, 3000, 1), model, 1));
    expect(percentile(w, 50)).toBeGreaterThan(18_500);
    expect(percentile(w, 50)).toBeLessThan(21_500);
    // log-space sigma: the 84th percentile is one sigma above the median
    expect(Math.log(percentile(w, 84.13) / percentile(w, 50))).toBeCloseTo(THINK_SIGMA, 1);
    const fast = thinkTimes(sessions, { ...model, compression: 4 }, 1);
    expect(fast.flat()).toEqual(thinkTimes(sessions, model, 1).flat().map((x) => x / 4));
    expect(describeThink({ ...model, compression: 4 })).toMatchObject({ model: 'log-normal', effectiveMedianMs: 5000 });
  });

  it('is the same for a seed, whatever the sessions stream drew, and leaves the messages as they are', () => {
    expect(thinkTimes(sessions, model, 1)).toEqual(thinkTimes(sessions, model, 1));
    expect(thinkTimes(sessions, model, 1)).not.toEqual(thinkTimes(sessions, model, 2));
    thinkTimes(sessions, model, 1);
    expect(buildSessions(data, mix, 300, 1)).toEqual(sessions);
  });

  it('refuses a negative median and a compression under 1', () => {
    expect(() => thinkTimes(sessions, { ...model, medianMs: -1 }, 1)).toThrow(/median/);
    expect(() => thinkTimes(sessions, { ...model, medianMs: Number.NaN }, 1)).toThrow(/median/);
    expect(() => thinkTimes(sessions, { ...model, compression: 0.5 }, 1)).toThrow(/compression/);
  });
});

describe("the p99's confidence interval (percentileInterval)", () => {
  const values = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  it('bounds a p99 of 171 values below by the 6th largest and not above at 95 %', () => {
    // n − B ~ Binomial(171, 0.01): P(n − B ≥ 6) ≈ 1.8 % ≤ 2.5 % < P(n − B ≥ 5) ≈ 3.1 %; P(B = n) = 0.99^171 ≈ 18 %.
    expect(percentileInterval(values(171), 99)).toEqual({ lower: 166, upper: null });
  });
  it('reaches the largest value as the upper end from 368 values on (0.99^n ≤ 2.5 %)', () => {
    expect(percentileInterval(values(367), 99).upper).toBeNull();
    expect(percentileInterval(values(368), 99).upper).toBe(368);
  });
  it('gives the textbook median interval (n = 100: the 40th and 61st values)', () => {
    expect(percentileInterval(values(100), 50)).toEqual({ lower: 40, upper: 61 });
  });
  it('covers the true percentile in about the stated share of samples', () => {
    const random = rng(5);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 1000 }, random); // uniform: the true p99 is 0.99
      const { lower, upper } = percentileInterval(xs, 99);
      if (lower! <= 0.99 && 0.99 <= upper!) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.92);
  });
  it('refuses a percentile outside (0, 100)', () => {
    expect(() => percentileInterval([1], 100)).toThrow(/0 < p < 100/);
  });
});

describe("the edge isolate's collection pauses (gc-pauses.ts)", () => {
  it('reads --trace-gc-nvp lines among other output, and sums scavenges and full collections apart', () => {
    const log = [
      '[9430:0x71157fcf6000:0]     1403 ms: GC: {"pause":2.861,"gc":"s","end_object_size":16993000}',
      '{"level":"info","msg":"request"}',
      '[9430:0x71157fcf6000:0]     1954 ms: GC: {"pause":17.285,"gc":"mc","mark":11.454,"end_object_size":13212300}',
      '[9430:0x71157fcf6000:0]     2625 ms: GC: {"pause":4.5,"gc":"s","end_o',
      '[9430:0x71157fcf6000:0]     3357 ms: GC: {"pause":4.183,"gc":"s","end_object_size":16118000}',
    ].join('\n');
    const events = gcEvents(log);
    expect(events.map((e) => [e.atMs, e.kind])).toEqual([[1403, 's'], [1954, 'mc'], [3357, 's']]);
    const s = gcSummary(events);
    expect(s.scavenge).toMatchObject({ count: 2, pauseMsTotal: 7.04, pauseMsMax: 4.18, over4Ms: 1 });
    expect(s.markCompact).toMatchObject({ count: 1, pauseMsMax: 17.29, markMs: [11.45], liveMbAfter: [13.21] });
  });
});
