/**
 * What the device can answer itself, by the same rules as the edge: resolve a follow-up against
 * the conversation's turns (shared resolver), classify the resolved message in its conversation
 * (shared classifyInContext: an unsure guess settled by the turn it leans on, "ok thx" the
 * courtesy intent), route by the store's intent classes, answer confident template intents from the store's
 * templates and FAQ, look confident cacheable intents up in the local semantic cache (same
 * key frame (intent, entity signature, aspect), per-intent threshold, embedder version and TTL
 * as the edge, keyed by the resolved message; a follow-up resolved without confidence neither
 * reads nor writes it), and hand the rest
 * to the edge, keeping the cache key so the edge's answer can be remembered on the device.
 */
import type { RouteEvent } from '../../../shared/api/chat.ts';
import type { TemplateAnswers } from '../../../shared/answers/template-answers.ts';
import { dialogueSignature, type DialogueEntities, type DialogueEntity } from '../../../shared/conversation/dialogue-entities.ts';
import { resolveFollowUp, type ContextTurn, type FollowUpResolution } from '../../../shared/conversation/follow-up.ts';
import { classifyInContext } from '../../../shared/conversation/classify-in-context.ts';
import { resolvedCacheKey } from '../../../shared/conversation/resolved-cache-key.ts';
import type { KeyFrame } from '../../../shared/cache/key-frame.ts';
import type { CacheHit, CacheLookup, SemanticCache } from '../../../shared/cache/semantic-cache.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import type { IntentRoutes } from '../../../shared/routing/intent-routes.ts';
import type { Path } from '../../../shared/routing/route-for.ts';
import type { DeviceModels } from '../runtime/device-models.ts';

export interface DeviceContext {
  models: DeviceModels;
  routes: IntentRoutes;
  templates: TemplateAnswers;
  cache: SemanticCache | null;
  dialogue: DialogueEntities;
}

export interface DeviceTimings {
  classifyMs: number;
  /** Embedding plus template or cache lookup. */
  answerMs: number;
}

interface Base {
  /** The message as resolved against the conversation (itself when it is standalone). */
  resolution: FollowUpResolution;
  /** The prediction in context (an unsure guess may have taken the earlier turn's intent). */
  prediction: IntentPrediction;
  /** What was taken from earlier turns, "intent:<name>" included (as the edge's route event says). */
  carried: string[];
  path: Path;
  timings: DeviceTimings;
}

export type DeviceDecision =
  | (Base & { kind: 'template'; text: string; source: string })
  | (Base & { kind: 'cache'; hit: CacheHit; lookup: CacheLookup })
  | (Base & { kind: 'edge'; key: { vector: Float32Array; frame: KeyFrame; entitySig: string } | null; lookup?: CacheLookup });

export async function decideOnDevice(message: string, ctx: DeviceContext, context: readonly ContextTurn[] = [], now = Date.now()): Promise<DeviceDecision> {
  const t0 = performance.now();
  const resolution = resolveFollowUp(message, context, ctx.dialogue);
  const classifier = { classify: (t: string[]) => ctx.models.classifier.classify(t), knowsAWord: (t: string) => ctx.models.classifier.tokenizer.knowsAWord(t) };
  const { prediction, path, carried } = await classifyInContext(classifier, message, resolution, ctx.routes, ctx.dialogue);
  const classifyMs = performance.now() - t0;
  const t1 = performance.now();
  const timings = () => ({ classifyMs, answerMs: performance.now() - t1 });

  if (path === 'template') {
    let vector: Float32Array | undefined;
    try {
      [vector] = await ctx.models.embedder.embed([resolution.text]);
    } catch {
      vector = undefined; // the cue-word variant still answers
    }
    const a = ctx.templates.answer(prediction.intent, resolution.text, vector);
    return { kind: 'template', resolution, prediction, carried, path, text: a.text, source: a.source, timings: timings() };
  }

  const resolvedKey = resolvedCacheKey(resolution);
  const cacheable = ctx.cache !== null && resolvedKey !== null && ctx.routes.intents[prediction.intent]?.route === 'cacheable';
  if (!cacheable || !ctx.cache || !resolvedKey) return { kind: 'edge', resolution, prediction, carried, path, key: null, timings: timings() };
  const [vector] = await ctx.models.embedder.embed([resolvedKey.text]);
  const key = { vector, frame: ctx.cache.frame(resolvedKey.text, prediction.intent, resolution.entities), entitySig: resolvedKey.entitySig };
  if (path === 'cache') {
    const lookup = await ctx.cache.lookup(key.vector, key.frame, { now }).catch(() => null);
    if (lookup?.hit) return { kind: 'cache', resolution, prediction, carried, path, hit: lookup.hit, lookup, timings: timings() };
    if (lookup) return { kind: 'edge', resolution, prediction, carried, path, key, lookup, timings: timings() };
  }
  return { kind: 'edge', resolution, prediction, carried, path, key, timings: timings() };
}

/**
 * Remembers an answer the edge gave for a cacheable message, when it is clean: the device routed
 * it to the cache, the edge classified it the same way, and it came from the assistant or the
 * edge cache (not stale) with no degradation on the way.
 */
export async function rememberEdgeAnswer(
  ctx: DeviceContext,
  decision: DeviceDecision,
  question: string,
  route: RouteEvent,
  answer: string,
  sources: string[],
  now = Date.now(),
): Promise<boolean> {
  if (decision.kind !== 'edge' || decision.path !== 'cache' || !decision.key || !ctx.cache) return false;
  const clean =
    route.intent === decision.prediction.intent &&
    route.fallbacks.length === 0 &&
    (route.path === 'llm' || (route.path === 'cache' && route.cache?.stale === false));
  if (!clean || !answer.trim()) return false;
  // The edge resolved the follow-up against its own view of the session: remember the answer only
  // when that names the same entities as the device's key.
  if (route.resolved && dialogueSignature((route.resolved.entities ?? []) as DialogueEntity[]) !== decision.key.entitySig) return false;
  const ttl = (ctx.routes.intents[decision.prediction.intent]?.cacheTtlSeconds ?? 3600) * 1000;
  await ctx.cache.store({
    frame: decision.key.frame,
    vector: decision.key.vector,
    question: decision.resolution.text,
    answer,
    sources,
    createdAt: now,
    expiresAt: now + ttl,
  });
  return true;
}

/** When the edge is unreachable: the nearest earlier answer within the looser stale threshold. */
export async function staleAnswer(ctx: DeviceContext, decision: DeviceDecision | null, now = Date.now()): Promise<CacheHit | null> {
  if (!decision || decision.kind !== 'edge' || !decision.key || !ctx.cache) return null;
  const l = await ctx.cache.lookup(decision.key.vector, decision.key.frame, { now, stale: true }).catch(() => null);
  return l?.hit ?? null;
}
