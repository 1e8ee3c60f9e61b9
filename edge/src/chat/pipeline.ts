/**
 * The edge's chat pipeline: classify → template | semantic cache | region, as a stream of chat
 * events (route, delta…, done). Every failure degrades to a marked answer; none hangs the client.
 */
import type { ChatEvent, ChatRequest, DecisionExplanation, DoneEvent, GenerateRequest, RouteEvent, Usage } from '../../../shared/api/chat.ts';
import { explainLookup, explainPrediction, round } from '../../../shared/routing/explain.ts';
import { tokenContributions } from '../../../shared/models/token-contributions.ts';
import type { EntityExtractor } from '../../../shared/cache/entities.ts';
import type { CacheLookup, SemanticCache } from '../../../shared/cache/semantic-cache.ts';
import type { KeyFrame } from '../../../shared/cache/key-frame.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { routeFor, type IntentRoutes, type Path } from '../../../shared/routing/intent-routes.ts';
import type { ModelState } from '../runtime/edge-models.ts';
import type { TemplateAnswers } from '../../../shared/answers/template-answers.ts';
import { streamFromRegion, UpstreamError, type UpstreamOptions } from './upstream.ts';
import { llmPriorityFor } from '../../../shared/routing/llm-priority.ts';

export interface ChatDeps {
  models: ModelState;
  routes: IntentRoutes;
  templates: TemplateAnswers;
  cache: SemanticCache | null;
  entities: EntityExtractor;
  upstream: Omit<UpstreamOptions, 'signal'>;
  traceId: string;
  /** ctx.waitUntil: work that may finish after the response (cache writes, refreshes). */
  background: (p: Promise<unknown>) => void;
  /** Told each semantic-cache lookup's result (metrics). */
  onCacheLookup?: (result: 'hit' | 'miss' | 'stale' | 'error') => void;
  signal?: AbortSignal;
  now?: () => number;
}


export const STALE_NOTE = '(The assistant is busy, so here is an earlier answer to a similar question.) ';

export async function* chatPipeline(req: ChatRequest, deps: ChatDeps): AsyncGenerator<ChatEvent> {
  const clock = () => performance.now();
  const t0 = clock();
  const latency = { classify: 0, cache: 0, upstream: 0, total: 0 };
  const fallbacks: string[] = [];
  const models = deps.models.ok ? deps.models.models : null;

  let pred: IntentPrediction | null = null;
  let path: Path = 'llm';
  if (models) {
    try {
      [pred] = await models.classifier.classify([req.message]);
      path = routeFor(deps.routes, pred.intent, pred.confident);
    } catch (e) {
      console.error('classifier failed:', (e as Error).message);
      fallbacks.push('classifier_error');
    }
  } else {
    fallbacks.push('classifier_unavailable');
  }
  latency.classify = clock() - t0;
  // Every route event says why: confidence vs thresholds, the cache decision, (explain) tokens.
  const decision: DecisionExplanation | undefined = pred && models ? explainPrediction(pred, models.classifier.calibration) : undefined;
  if (decision && pred && models && req.explain) {
    decision.tokens = await tokenContributions(models.classifier, req.message, pred.topLabel).catch(() => undefined);
  }
  let lookup: CacheLookup | null = null;

  const route = (p: RouteEvent['path'], extra: Partial<RouteEvent> = {}): ChatEvent => ({
    event: 'route',
    data: {
      intent: pred?.intent ?? 'unknown',
      confidence: pred?.confidence ?? 0,
      path: p,
      modelVersion: models?.classifierVersion ?? 'none',
      traceId: deps.traceId,
      fallbacks: [...fallbacks],
      ...(decision ? { decision: { ...decision, ...(lookup ? { cache: explainLookup(lookup) } : {}) } } : {}),
      ...extra,
    },
  });
  const done = (extra: Partial<DoneEvent> = {}): ChatEvent => {
    latency.total = clock() - t0;
    return { event: 'done', data: { latencyMs: { ...latency }, fallbacks: [...fallbacks], ...extra } };
  };

  // Template intents: answered here from the store's own data.
  if (path === 'template' && pred && models) {
    const tc = clock();
    let vector: Float32Array | undefined;
    try {
      [vector] = await models.embedder.embed([req.message]);
    } catch {
      fallbacks.push('embedder_error');
    }
    const answer = deps.templates.answer(pred.intent, req.message, vector);
    latency.cache = clock() - tc;
    yield route('template');
    yield { event: 'delta', data: { text: answer.text } };
    yield done({ sources: [{ id: answer.source }] });
    return;
  }

  // Cacheable intents: semantic cache first. The key (embedding + key frame: intent, entities,
  // aspect) is made only when a lookup needs it: here for confident messages, or later for a
  // stale answer.
  const cacheable = !!pred && !!models && !!deps.cache && deps.routes.intents[pred.intent]?.route === 'cacheable';
  let key: { vector: Float32Array; frame: KeyFrame } | null = null;
  let cacheBroken = false;
  const cacheKey = async () =>
    (key ??= { vector: (await models!.embedder.embed([req.message]))[0], frame: deps.cache!.frame(req.message, pred!.intent, deps.entities.extract(req.message)) });
  if (path === 'cache' && pred && deps.cache) {
    const tc = clock();
    try {
      const k = await cacheKey();
      const look = await deps.cache.lookup(k.vector, k.frame, { now: deps.now?.(), background: deps.background });
      const hit = look.hit;
      lookup = look;
      deps.onCacheLookup?.(hit ? 'hit' : 'miss');
      if (hit) {
        latency.cache = clock() - tc;
        yield route('cache', { cache: cacheInfo(look) });
        yield { event: 'delta', data: { text: hit.answer.answer } };
        yield done({ sources: hit.answer.sources.map((id) => ({ id })) });
        return;
      }
    } catch (e) {
      console.error('semantic cache failed:', (e as Error).message);
      deps.onCacheLookup?.('error');
      fallbacks.push('cache_unavailable');
      cacheBroken = true;
    }
    latency.cache = clock() - tc;
  }

  // Everything else: the region, streamed through as it arrives.
  const tu = clock();
  const genReq: GenerateRequest = {
    ...req,
    ...(pred ? { intent: pred.intent, confidence: pred.confidence } : {}),
    cacheable: path === 'cache',
    priority: llmPriorityFor(pred?.intent),
  };
  let routed = false;
  let text = '';
  let regionRoute: RouteEvent | null = null;
  try {
    for await (const ev of streamFromRegion(genReq, { ...deps.upstream, signal: deps.signal })) {
      if (ev.event === 'route') {
        regionRoute = ev.data;
        fallbacks.push(...(ev.data.fallbacks ?? []).filter((f) => !fallbacks.includes(f)));
        routed = true;
        yield route(ev.data.path === 'fallback' ? 'fallback' : 'llm', {
          ...(pred ? {} : { intent: ev.data.intent, confidence: ev.data.confidence }),
          ...(models ? {} : { modelVersion: ev.data.modelVersion }),
          generator: ev.data.generator,
        });
      } else if (ev.event === 'delta') {
        if (!routed) {
          routed = true;
          yield route('llm');
        }
        text += ev.data.text;
        yield ev;
      } else if (ev.event === 'done') {
        latency.upstream = clock() - tu;
        const regionLatency = Object.fromEntries(Object.entries(ev.data.latencyMs).map(([k, v]) => [`region_${k}`, v]));
        if (!routed) yield route('llm');
        for (const f of ev.data.fallbacks ?? []) if (!fallbacks.includes(f)) fallbacks.push(f);
        const d = done({ usage: ev.data.usage as Usage | undefined, sources: ev.data.sources });
        (d.data as DoneEvent).latencyMs = { ...(d.data as DoneEvent).latencyMs, ...regionLatency };
        yield d;
        const clean = regionRoute?.path === 'llm' && ev.data.cacheable === true;
        if (path === 'cache' && !cacheBroken && pred && deps.cache && clean && text.trim()) {
          const k = await cacheKey(); // made for the lookup above
          const ttl = (deps.routes.intents[pred.intent]?.cacheTtlSeconds ?? 3600) * 1000;
          const now = deps.now?.() ?? Date.now();
          deps.background(
            deps.cache
              .store({ frame: k.frame, vector: k.vector, question: req.message, answer: text, sources: (ev.data.sources ?? []).map((s) => s.id), createdAt: now, expiresAt: now + ttl })
              .catch((e) => console.error('cache write failed:', (e as Error).message)),
          );
        }
        return;
      } else if (ev.event === 'error') {
        throw new UpstreamError(`region error ${ev.data.code}: ${ev.data.message}`, 'region_error', routed);
      }
    }
  } catch (e) {
    const err = e instanceof UpstreamError ? e : new UpstreamError((e as Error).message, 'region_error', routed);
    latency.upstream = clock() - tu;
    if (!fallbacks.includes(err.fallback)) fallbacks.push(err.fallback);
    if (routed) {
      // Part of the answer is already out: say that it stopped, and end cleanly.
      yield { event: 'error', data: { code: 'UPSTREAM_INTERRUPTED', message: 'the answer was interrupted' } };
      yield done();
      return;
    }
    if (cacheable && !cacheBroken && pred && deps.cache) {
      const k = await cacheKey().catch(() => null);
      const look = k && (await deps.cache.lookup(k.vector, k.frame, { now: deps.now?.(), stale: true }).catch(() => null));
      const stale = look?.hit;
      if (look && stale) {
        lookup = look;
        deps.onCacheLookup?.('stale');
        yield route('cache', { cache: cacheInfo(look) });
        yield { event: 'delta', data: { text: STALE_NOTE + stale.answer.answer } };
        yield done({ sources: stale.answer.sources.map((id) => ({ id })) });
        return;
      }
    }
    yield route('fallback');
    yield { event: 'delta', data: { text: deps.templates.handoff } };
    yield done();
  }
}

/** The route event's cache block for a hit: similarity, the threshold it cleared and the frame. */
function cacheInfo(l: CacheLookup): NonNullable<RouteEvent['cache']> {
  const { frame, threshold } = explainLookup(l);
  return { similarity: round(l.similarity ?? 0), stale: l.hit?.stale ?? false, entryId: l.hit?.id ?? '', threshold, frame };
}
