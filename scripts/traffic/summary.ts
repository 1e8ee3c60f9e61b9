/**
 * Turns the replay's per-message records and the LLM stand-in's ledger into the benchmark's one
 * JSON (shares per path, LLM calls and tokens per session, cost against the all-LLM baseline,
 * server-side p50/p99 per path, errors, targets) and the series the HTML report plots.
 */
import { percentile, percentileInterval } from '../../shared/eval/metrics.ts';
import { BASELINE_TIER, baselineCostUsd, callCostUsd, oneModel, type Pricing, type Tier } from './cost.ts';
import type { StubCall } from './bedrock-stub.ts';
import { TURN_KINDS, type TurnKind } from './sessions.ts';

export const PATHS = ['template', 'cache', 'llm', 'fallback'] as const;
export type Path = (typeof PATHS)[number];

export interface MessageRecord {
  session: number;
  kind: TurnKind;
  /** Undefined when the message failed (then `error` says how). */
  path?: Path;
  /** The edge's done.latencyMs.total: server-side, from the edge's receipt to its last byte. */
  serverMs?: number;
  /** The edge's done.latencyMs by part (session, classify, cache, upstream…), server-side. */
  serverParts?: Record<string, number>;
  clientMs: number;
  /** The region's done.usage.costUsd (its own estimate, without prompt-cache reads). */
  regionCostUsd?: number;
  /**
   * A single-flight follower (route.cache.coalesced): path `llm`, the LLM's answer to an equal
   * question it waited on, with no call of its own. Timed apart from the LLM answers that called.
   */
  coalesced?: boolean;
  /** A stale cache answer (route.cache.stale): served after the region failed, so timed apart from the cache's hits. */
  stale?: boolean;
  /** The route's generator when the region answered ("catalog": from the catalog's row, "order": from the order system, no LLM). */
  generator?: string;
  /** The degradations that fired (done.fallbacks), e.g. classifier_timeout. */
  fallbacks: string[];
  /** The intent the route event named (the edge's, else the region's). */
  intent?: string;
  /** Why a message the edge did not answer went on to the region (llmReason). */
  reason?: LlmReason;
  error?: string;
}

/**
 * Why a message was not answered at the edge, from its route event's decision and the pack's route
 * class of its intent: the pack routes the intent to the LLM; the classifier was under the routing
 * threshold; the order system failed or was slow (an `order` intent); the cache had no entry in the
 * message's key frame (a first asking) or only one below the hit threshold; a follow-up resolved
 * without confidence (no cache key); no classification.
 */
export type LlmReason = 'pack_routes_to_llm' | 'edge_unsure' | 'order_lookup_unavailable' | 'cache_frame_empty' | 'cache_below_threshold' | 'no_cache_key' | 'no_classification';

export function llmReason(route: { intent: string; decision?: { confident: boolean; cache?: { hit: boolean; similarity: number | null } } }, routeClass: string | undefined, fallbacks: readonly string[] = []): LlmReason {
  const d = route.decision;
  if (!d) return 'no_classification';
  if (routeClass === 'llm') return 'pack_routes_to_llm';
  if (!d.confident) return 'edge_unsure';
  if (routeClass === 'order' && fallbacks.includes('order_lookup_unavailable')) return 'order_lookup_unavailable';
  if (!d.cache) return 'no_cache_key';
  return d.cache.similarity === null ? 'cache_frame_empty' : 'cache_below_threshold';
}

/** Messages by intent: how many went each path, and why those not answered without the LLM went on. */
function byIntent(records: MessageRecord[]) {
  const out: Record<string, { messages: number; paths: Partial<Record<Path | 'catalog' | 'order' | 'decisive', number>>; toLlmBecause: Partial<Record<LlmReason, number>> }> = {};
  for (const r of records) {
    if (!r.path) continue;
    const e = (out[r.intent ?? 'unknown'] ??= { messages: 0, paths: {}, toLlmBecause: {} });
    e.messages++;
    const p = r.path === 'template' && r.generator ? (r.generator === 'catalog' || r.generator === 'order' ? r.generator : 'decisive') : r.path;
    e.paths[p] = (e.paths[p] ?? 0) + 1;
    if ((r.path === 'llm' || r.path === 'fallback') && r.reason) e.toLlmBecause[r.reason] = (e.toLlmBecause[r.reason] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1].messages - a[1].messages));
}

const round = (x: number, d = 6) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

export function summarize(o: { records: MessageRecord[]; sessions: number; calls: StubCall[]; pricing: Pricing; completionOrder: number[]; args: Record<string, unknown>; wallMs: number }) {
  const { records, calls, pricing } = o;
  const ok = records.filter((r) => r.path);
  const errors = records.filter((r) => r.error);
  const count = (p: Path) => ok.filter((r) => r.path === p).length;
  const share = Object.fromEntries(PATHS.map((p) => [p, round(count(p) / records.length, 4)]));
  const latencyOf = (rs: MessageRecord[]) => {
    const ms = rs.filter((r) => r.serverMs !== undefined).map((r) => r.serverMs!);
    const cl = rs.map((r) => r.clientMs);
    // Where the slowest answers' time went: the mean of each part over the answers at or above the p99.
    const p99 = percentile(ms, 99);
    const slow = rs.filter((r) => r.serverMs !== undefined && r.serverMs >= p99 && r.serverParts);
    const parts = ['session', 'resolve', 'classify', 'cache', 'upstream']; // resolve: an edge from before it was a part reads 0
    const slowestParts = slow.length ? Object.fromEntries(parts.map((k) => [k, round(slow.reduce((a, r) => a + (r.serverParts![k] ?? 0), 0) / slow.length, 2)])) : undefined;
    // The p99's 95 % interval from order statistics (null: the sample cannot bound that end), and the largest value.
    const ci = percentileInterval(ms, 99);
    const p99Ci95 = [ci.lower === null ? null : round(ci.lower, 2), ci.upper === null ? null : round(ci.upper, 2)];
    return { n: ms.length, p50: round(percentile(ms, 50), 2), p99: round(p99, 2), p99Ci95, max: ms.length ? round(Math.max(...ms), 2) : null, clientP50: round(percentile(cl, 50), 2), clientP99: round(percentile(cl, 99), 2), ...(slowestParts ? { slowestParts } : {}) };
  };
  // A template answer is the edge's own, or the region's with no LLM (a round trip): from a catalog
  // row (generator "catalog"), an order's record ("order", a lookup in the order system) or quoted
  // from a decisive passage ("extractive"). Reported apart.
  const fromCatalog = (r: MessageRecord) => r.generator === 'catalog';
  const fromOrders = (r: MessageRecord) => r.path === 'template' && r.generator === 'order';
  const fromRegion = (r: MessageRecord) => r.path === 'template' && r.generator !== undefined;
  const fromDecisive = (r: MessageRecord) => fromRegion(r) && !fromCatalog(r) && !fromOrders(r);
  const latency = {
    ...(Object.fromEntries(PATHS.map((p) => [p, latencyOf(ok.filter((r) => r.path === p && !fromRegion(r) && !r.coalesced && !r.stale))])) as Record<Path, ReturnType<typeof latencyOf>>),
    /** Stale cache answers: the region failed first (its timeout is in their time). */
    cacheStale: latencyOf(ok.filter((r) => r.stale)),
    /** Single-flight followers: waited for an equal question's LLM answer (path llm, no call of their own). */
    llmCoalesced: latencyOf(ok.filter((r) => r.coalesced)),
    templateFromCatalog: latencyOf(ok.filter(fromCatalog)),
    templateFromOrder: latencyOf(ok.filter(fromOrders)),
    templateFromDecisive: latencyOf(ok.filter(fromDecisive)),
  };
  const cost = calls.reduce((a, c) => a + callCostUsd(c, pricing), 0);
  const sum = (f: (c: StubCall) => number) => calls.reduce((a, c) => a + f(c), 0);
  const tierShares: Record<Tier, number> = { small: calls.filter((c) => c.tier === 'small').length, large: calls.filter((c) => c.tier === 'large').length };
  const baselineIn = (shares: Record<Tier, number>) =>
    calls.length
      ? baselineCostUsd({ messages: records.length, meanPromptTokens: sum((c) => c.promptTokens) / calls.length, meanOutputTokens: sum((c) => c.outputTokens) / calls.length, tierShares: shares, pricing }) / o.sessions
      : NaN;
  // The baseline: one default model, no tiering (the seed's unoptimised pipeline); the variants beside it.
  const baselinePerSession = baselineIn(oneModel(BASELINE_TIER));
  const variants = { oneModelLarge: baselineIn(oneModel('large')), oneModelSmall: baselineIn(oneModel('small')), runTierShares: baselineIn(tierShares) };
  // Strict: a fallback answer often follows an LLM call that failed or timed out, so only template and cache count.
  const withoutLlm = (count('template') + count('cache')) / records.length;
  // The same share over the mix without the shoppers' id and email replies (turns a run with replies off does not have).
  const asked = records.filter((r) => r.kind !== 'id_reply' && r.kind !== 'email_reply');
  const withoutLlmAsked = asked.filter((r) => r.path === 'template' || r.path === 'cache').length / Math.max(1, asked.length);
  const costPerSession = cost / o.sessions;
  const pct = (r: number) => round(r, 2);
  return {
    args: o.args,
    sessions: o.sessions,
    messages: records.length,
    messagesPerSession: round(records.length / o.sessions, 3),
    turnKinds: Object.fromEntries(TURN_KINDS.map((k) => [k, records.filter((r) => r.kind === k).length])),
    share,
    /** Template answers given from a catalog row by the region (part of share.template). */
    catalogShare: round(ok.filter(fromCatalog).length / records.length, 4),
    /** Single-flight followers (part of share.llm): the LLM's answer to an equal question in flight, no call of their own. */
    coalescedShare: round(ok.filter((r) => r.coalesced).length / records.length, 4),
    /** Template answers the region gave from the order system: an order's record or "not found" (part of share.template). */
    orderShare: round(ok.filter(fromOrders).length / records.length, 4),
    /** Template answers the region quoted from a passage the reranker was sure of (part of share.template). */
    decisiveShare: round(ok.filter(fromDecisive).length / records.length, 4),
    /** Template and cache answers over the messages other than the shoppers' id and email replies (the mix before replies were added). */
    withoutLlmExcludingIdReplies: round(withoutLlmAsked, 4),
    /** Where each kind of turn went: how the mix, not only the pipeline, shapes the shares. */
    pathsByKind: Object.fromEntries(
      TURN_KINDS.map((k) => [k, Object.fromEntries(PATHS.map((p) => [p, records.filter((r) => r.kind === k && r.path === p).length]))]),
    ),
    /** Per intent (the route event's): paths ("catalog", "decisive": the region's template answers) and, for llm and fallback answers, why the edge sent them on. */
    byIntent: byIntent(records),
    /** The LLM and fallback answers by reason (llmReason), over all intents. */
    toLlmBecause: Object.fromEntries(
      Object.entries(ok.filter((r) => (r.path === 'llm' || r.path === 'fallback') && r.reason).reduce<Record<string, number>>((a, r) => ((a[r.reason!] = (a[r.reason!] ?? 0) + 1), a), {})).sort((a, b) => b[1] - a[1]),
    ),
    degradedShare: round(records.filter((r) => r.fallbacks.length).length / records.length, 4),
    degradations: Object.fromEntries(
      Object.entries(records.flatMap((r) => r.fallbacks).reduce<Record<string, number>>((a, f) => ((a[f] = (a[f] ?? 0) + 1), a), {})).sort((a, b) => b[1] - a[1]),
    ),
    llm: {
      calls: calls.length,
      callsPerSession: round(calls.length / o.sessions, 3),
      tiers: tierShares,
      tokensPerSession: {
        prompt: round(sum((c) => c.promptTokens) / o.sessions, 1),
        input: round(sum((c) => c.inputTokens) / o.sessions, 1),
        cacheRead: round(sum((c) => c.cacheReadTokens) / o.sessions, 1),
        cacheWrite: round(sum((c) => c.cacheWriteTokens) / o.sessions, 1),
        output: round(sum((c) => c.outputTokens) / o.sessions, 1),
      },
    },
    costPerSessionUsd: round(costPerSession, 7),
    baselineCostPerSessionUsd: round(baselinePerSession, 7),
    costRatio: round(costPerSession / baselinePerSession, 4),
    /** The same sessions priced on the small model only, and in this run's own tier shares (which credits tiering to the baseline too). */
    baselineVariants: Object.fromEntries(
      Object.entries(variants).map(([k, v]) => [k, { costPerSessionUsd: round(v, 7), costRatio: round(costPerSession / v, 4) }]),
    ),
    baselineTier: BASELINE_TIER,
    regionReportedCostPerSessionUsd: round(ok.reduce((a, r) => a + (r.regionCostUsd ?? 0), 0) / o.sessions, 7),
    latencyMs: latency,
    errors: errors.length,
    errorSamples: [...new Set(errors.map((e) => e.error))].slice(0, 5),
    wallSeconds: round(o.wallMs / 1000, 1),
    /** Messages sent per second of the replay, and the mean number in flight (the clients' time ÷ wall time, Little's law): what load the run was. */
    arrivalRatePerS: round(records.length / (o.wallMs / 1000), 2),
    meanInFlight: round(records.reduce((a, r) => a + r.clientMs, 0) / o.wallMs, 2),
    targets: {
      costAtMost25PctOfBaseline: { value: pct((costPerSession / baselinePerSession) * 100), met: costPerSession <= 0.25 * baselinePerSession },
      atLeast50PctWithoutLlm: { value: pct(withoutLlm * 100), met: withoutLlm >= 0.5 },
      zeroErrors: { value: errors.length, met: errors.length === 0 },
      templateAndCacheP99AtMost5Ms: {
        value: { template: latency.template.p99, cache: latency.cache.p99 },
        met: [latency.template.p99, latency.cache.p99].every((v) => v === null || v <= 5),
        /** Whether both paths had enough answers (≥ 368) for their p99 to have an upper 95 % bound; else a p99 is the 2nd–3rd largest answer. */
        bounded: [latency.template.p99Ci95, latency.cache.p99Ci95].every(([, hi]) => hi !== null),
      },
    },
  };
}

/** Running cost per session (stub ledger order is not session order, so the region's per-message estimate is used) and path shares, by sessions completed. */
export function series(records: MessageRecord[], completionOrder: number[]) {
  const bySession = new Map<number, MessageRecord[]>();
  for (const r of records) bySession.set(r.session, [...(bySession.get(r.session) ?? []), r]);
  const x: number[] = [];
  const costPerSession: number[] = [];
  const shares: Record<Path, number[]> = { template: [], cache: [], llm: [], fallback: [] };
  let cost = 0;
  let n = 0;
  const counts: Record<Path, number> = { template: 0, cache: 0, llm: 0, fallback: 0 };
  completionOrder.forEach((s, i) => {
    for (const r of bySession.get(s) ?? []) {
      cost += r.regionCostUsd ?? 0;
      n++;
      if (r.path) counts[r.path]++;
    }
    x.push(i + 1);
    costPerSession.push(cost / (i + 1));
    for (const p of PATHS) shares[p].push(counts[p] / Math.max(1, n));
  });
  return { x, costPerSession, shares };
}
