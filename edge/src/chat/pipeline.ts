/**
 * The edge's chat pipeline, as a stream of chat events (route, delta…, done):
 *   context (the session's turns, or the client's `history`) → resolve the follow-up → classify
 *   the resolved message → template | semantic cache | region → record the turn.
 * The cache key is the resolved message and its entities; a follow-up that was not resolved
 * confidently neither reads nor writes the cache. Every failure degrades to a marked answer
 * (a session store that fails or is slow: single-turn, `session_unavailable`); none hangs the client.
 */
import { boundedResolution, type ChatEvent, type ChatRequest, type DecisionExplanation, type DoneEvent, type GenerateRequest, type Resolution, type RouteEvent, type Usage } from '../../../shared/api/chat.ts';
import { explainLookup, explainPrediction, round } from '../../../shared/routing/explain.ts';
import { tokenContributions } from '../../../shared/models/token-contributions.ts';
import type { KeyFrame } from '../../../shared/cache/key-frame.ts';
import type { DialogueEntities } from '../../../shared/conversation/dialogue-entities.ts';
import { leansOnContext, resolveFollowUp, type ContextTurn, type ResolutionKind } from '../../../shared/conversation/follow-up.ts';
import { classifyInContext, type ContextClassifier, type InContextDecision } from '../../../shared/conversation/classify-in-context.ts';
import { asksSomething } from '../../../shared/conversation/courtesy.ts';
import { resolvedCacheKey } from '../../../shared/conversation/resolved-cache-key.ts';
import { contextFromHistory, contextOf, type SessionTurn } from '../../../shared/conversation/session-turns.ts';
import type { CacheLookup, SemanticCache } from '../../../shared/cache/semantic-cache.ts';
import { InFlight } from '../../../shared/cache/in-flight.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { looksUpOrders, reusesAnswers, type IntentRoutes, type Path } from '../../../shared/routing/intent-routes.ts';
import { embedderGap, type ModelState } from '../runtime/edge-models.ts';
import type { TemplateAnswers } from '../../../shared/answers/template-answers.ts';
import type { SessionPort } from '../session/session-client.ts';
import { streamFromRegion, UpstreamError, type UpstreamOptions } from './upstream.ts';
import { llmPriorityFor } from '../../../shared/routing/llm-priority.ts';

export interface ChatDeps {
  models: ModelState;
  routes: IntentRoutes;
  templates: TemplateAnswers;
  cache: SemanticCache | null;
  /** Entities of dialogue turns (series, volumes, editions, places…), for follow-ups and cache keys. */
  dialogue: DialogueEntities;
  /** This isolate's cache misses being answered (single flight: shared/cache/in-flight.ts); none: every miss asks the region. */
  inFlight?: InFlight;
  /** How long a miss waits for an equal question's answer in flight before asking the region itself (ms). */
  inFlightWaitMs?: number;
  /** The session's store; null for a request that brings its own `history`, or none configured. */
  session: SessionPort | null;
  upstream: Omit<UpstreamOptions, 'signal'>;
  traceId: string;
  /** ctx.waitUntil: work that may finish after the response (cache writes, refreshes). */
  background: (p: Promise<unknown>) => void;
  /** Told each semantic-cache lookup's result (metrics). */
  onCacheLookup?: (result: 'hit' | 'miss' | 'stale' | 'error') => void;
  /** Told how each message was resolved (metrics). */
  onResolution?: (kind: ResolutionKind, confident: boolean) => void;
  signal?: AbortSignal;
  now?: () => number;
}

export const STALE_NOTE = '(The assistant is busy, so here is an earlier answer to a similar question.) ';

/**
 * How the turn reaches the session: `deferred` — recorded whole, with its answer, once answered at
 * the edge (a template or cache answer is out in a millisecond, and the store is not touched
 * before it: one write, after the answer); `finish` — recorded before the region is called (so a
 * message sent while the answer streams sees it), completed after the answer.
 */
interface TurnSink {
  mode: 'none' | 'finish' | 'deferred';
  turn?: Omit<SessionTurn, 'id'>;
}

/** Runs the pipeline, then completes the turn in the session with its final path and answer digest. */
export async function* chatPipeline(req: ChatRequest, deps: ChatDeps): AsyncGenerator<ChatEvent> {
  let path = 'pending';
  let text = '';
  const sink: TurnSink = { mode: 'none' };
  for await (const ev of answer(req, deps, sink)) {
    if (ev.event === 'route') path = ev.data.path;
    else if (ev.event === 'delta') text += ev.data.text;
    yield ev;
  }
  // Handed to the session as the reply ends: a follow-up this isolate gets before the session's
  // object has acknowledged it reads it from this isolate's unacknowledged writes (session-client.ts).
  if (sink.mode === 'finish') deps.session?.finish({ path, answer: text });
  else if (sink.mode === 'deferred' && sink.turn) deps.session?.record({ ...sink.turn, path, answer: text });
}

async function* answer(req: ChatRequest, deps: ChatDeps, sink: TurnSink): AsyncGenerator<ChatEvent> {
  const clock = () => performance.now();
  const t0 = clock();
  const latency = { classify: 0, cache: 0, upstream: 0, total: 0, session: 0, resolve: 0 };
  const fallbacks: string[] = [];
  const models = deps.models.ok ? deps.models.models : null;
  // While the isolate's embedder loads (or after it failed) a FAQ template answers its plain text and a cache lookup is a miss, both marked.
  const noEmbedder = models && embedderGap(models);

  // Context: the client's own history, else the session's turns (single-turn if the store fails).
  // A message that leans on nothing earlier does not wait for the store; a follow-up reads the
  // turns (its turn is then pending in the session's object: the session's next message waits
  // for its record). Either way the turn is written once it is known where it is answered: whole
  // after the answer when that is at the edge, before the region is called otherwise.
  let context: ContextTurn[] = [];
  // A message that leans on context but that a template answers on its own, confidently ("can
  // someone who works there call me?"; courtesy only when it asks and names nothing: templateAlone),
  // needs no earlier turn either: its decision is kept and the store is not waited on (under load
  // the read is most of a template answer's time).
  let alone: InContextDecision | null = null;
  let aloneMs = 0; // that classification's time, counted as classification
  if (req.history?.length) {
    context = contextFromHistory(req.history, deps.dialogue);
  } else if (deps.session && !leansOnContext(req.message, deps.dialogue)) {
    sink.mode = 'deferred';
  } else if (deps.session && models && (alone = await templateAlone(req.message, models.classifier, deps, (ms) => (aloneMs = ms)))) {
    sink.mode = 'deferred';
  } else if (deps.session) {
    try {
      context = contextOf(await deps.session.open());
      sink.mode = 'deferred';
    } catch (e) {
      console.error('session store unavailable:', (e as Error).message);
      fallbacks.push('session_unavailable');
    }
  }
  latency.session = clock() - t0 - aloneMs;

  // Timed as a part of its own: it runs on every message, and its time was counted in no part.
  const tr = clock();
  const resolution = resolveFollowUp(req.message, context, deps.dialogue);
  latency.resolve = clock() - tr;
  let carried = resolution.carried;
  const tc0 = clock();
  let pred: IntentPrediction | null = null;
  let path: Path = 'llm';
  if (models) {
    try {
      // The same decision as the widget's on the device: the conversation settles an unsure guess,
      // and a message with no word the models know goes to the region.
      const c = alone ?? (await classifyInContext(models.classifier, req.message, resolution, deps.routes, deps.dialogue));
      ({ prediction: pred, path, carried } = c);
      if (c.outOfVocabulary) fallbacks.push('out_of_vocabulary');
    } catch (e) {
      console.error('classifier failed:', (e as Error).message);
      fallbacks.push('classifier_error');
    }
  } else {
    fallbacks.push('classifier_unavailable');
  }
  latency.classify = clock() - tc0 + aloneMs;
  const cacheKeyOf = resolvedCacheKey(resolution);
  deps.onResolution?.(resolution.kind, cacheKeyOf !== null);
  // Every route event says why: confidence vs thresholds, the cache decision, (explain) tokens.
  const decision: DecisionExplanation | undefined = pred && models ? explainPrediction(pred, models.classifier.calibration) : undefined;
  if (decision && pred && models && req.explain) {
    decision.tokens = await tokenContributions(models.classifier, resolution.text, pred.topLabel).catch(() => undefined);
  }
  let lookup: CacheLookup | null = null;
  const resolved: Resolution = boundedResolution({ ...resolution, carried });
  const turn = { at: deps.now?.() ?? Date.now(), text: req.message, resolved: resolution.text, ...(pred ? { intent: pred.intent } : {}), entities: resolution.entities, path: 'pending', answer: '' };
  if (sink.mode === 'deferred') sink.turn = turn;

  const route = (p: RouteEvent['path'], extra: Partial<RouteEvent> = {}): ChatEvent => ({
    event: 'route',
    data: {
      intent: pred?.intent ?? 'unknown',
      confidence: pred?.confidence ?? 0,
      path: p,
      modelVersion: models?.classifierVersion ?? 'none',
      traceId: deps.traceId,
      fallbacks: [...fallbacks],
      resolved,
      ...(decision ? { decision: { ...decision, ...(lookup ? { cache: explainLookup(lookup) } : {}) } } : {}),
      ...extra,
    },
  });
  const done = (extra: Partial<DoneEvent> = {}): ChatEvent => {
    latency.total = clock() - t0;
    return { event: 'done', data: { latencyMs: { ...latency }, fallbacks: [...fallbacks], ...extra } };
  };

  // Template intents, and an order intent with no order id (its template asks for one): answered here from the store's own data.
  if (path === 'template' && pred && models) {
    const tc = clock();
    let vector: Float32Array | undefined;
    // Only an intent with FAQ entries needs the message's vector (the nearest FAQ answer).
    if (deps.templates.matchesFaq(pred.intent) && noEmbedder) {
      fallbacks.push(noEmbedder);
    } else if (deps.templates.matchesFaq(pred.intent)) {
      try {
        [vector] = await models.embedder.embed([resolution.text]);
      } catch {
        fallbacks.push('embedder_error');
      }
    }
    const answer = deps.templates.answer(pred.intent, resolution.text, vector);
    latency.cache = clock() - tc;
    yield route('template');
    yield { event: 'delta', data: { text: answer.text } };
    yield done({ sources: [{ id: answer.source }] });
    return;
  }

  // Cacheable intents: semantic cache first. The key (embedding of the resolved message + its
  // entity signature) is made only when a lookup needs it: here for confident messages, or later
  // for a stale answer; a follow-up resolved without confidence has none (no read, no write).
  const cacheable = !!pred && !!models && !!deps.cache && !!cacheKeyOf && reusesAnswers(deps.routes.intents[pred.intent]?.route);
  let key: { vector: Float32Array; frame: KeyFrame } | null = null;
  let cacheBroken = false;
  // The key frame (intent, entities, aspect: shared/cache/key-frame.ts) of the resolved message.
  const cacheKey = async () =>
    (key ??= { vector: (await models!.embedder.embed([cacheKeyOf!.text]))[0], frame: deps.cache!.frame(cacheKeyOf!.text, pred!.intent, resolution.entities) });
  if (path === 'cache' && pred && cacheKeyOf && noEmbedder) {
    deps.onCacheLookup?.('miss');
    fallbacks.push(noEmbedder);
  }
  if (path === 'cache' && pred && deps.cache && cacheKeyOf) {
    const tc = clock();
    try {
      const k = await cacheKey();
      let look = await deps.cache.lookup(k.vector, k.frame, { now: deps.now?.(), background: deps.background });
      deps.onCacheLookup?.(look.hit ? 'hit' : 'miss');
      // Single flight: an equal question already with the region lands in the cache; wait for it and look again.
      const flight = !look.hit && deps.inFlight?.find(k.frame, k.vector, deps.cache.hitThreshold(k.frame.intent));
      const tw = clock();
      const coalesced = !!flight && (await InFlight.wait(flight, deps.inFlightWaitMs ?? 10_000));
      const waited = clock() - tw;
      if (coalesced) look = await deps.cache.lookup(k.vector, k.frame, { now: deps.now?.(), background: deps.background });
      const hit = look.hit;
      lookup = look;
      if (hit) {
        // A follower's answer is the LLM's, for the equal question it waited on (no call of its own):
        // path `llm`, marked `coalesced`, its wait counted as upstream time. Not a cache hit.
        latency.cache = clock() - tc - waited;
        if (coalesced) latency.upstream = waited;
        yield route(coalesced ? 'llm' : 'cache', { cache: { ...cacheInfo(look), ...(coalesced ? { coalesced: true } : {}) } });
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

  // Everything else: the region, streamed through as it arrives. The turn is recorded now, so the
  // session's next message sees it even if it arrives while this answer still streams.
  if (sink.mode === 'deferred') {
    deps.session?.record(turn);
    sink.mode = 'finish';
  }
  const tu = clock();
  const genReq: GenerateRequest = {
    ...req,
    resolved,
    ...(pred ? { intent: pred.intent, confidence: pred.confidence } : {}),
    cacheable: path === 'cache' && cacheKeyOf !== null,
    priority: llmPriorityFor(pred?.intent, deps.routes.intents),
  };
  let routed = false;
  let text = '';
  let regionRoute: RouteEvent | null = null;
  // This miss is now the flight equal questions wait for; it lands once its answer is in the cache, or as it ends without one.
  const flightKey = key as { vector: Float32Array; frame: KeyFrame } | null; // made by the lookup above, when there was one
  // A generated answer shaped by the caller (generation: budget, temperature, instructions) is not
  // shared (the region marks it so): it starts no flight, which equal questions would wait on in vain.
  let land = path === 'cache' && !req.generation && flightKey && deps.inFlight && !cacheBroken ? deps.inFlight.start(flightKey.frame, flightKey.vector) : null;
  try {
    for await (const ev of streamFromRegion(genReq, { ...deps.upstream, signal: deps.signal })) {
      if (ev.event === 'route') {
        regionRoute = ev.data;
        fallbacks.push(...(ev.data.fallbacks ?? []).filter((f) => !fallbacks.includes(f)));
        routed = true;
        // The region's own answers keep their path: a handoff ("fallback"), an answer from the
        // catalog's row or an order's record ("template", no LLM); everything else it generated ("llm").
        yield route(ev.data.path === 'fallback' || ev.data.path === 'template' ? ev.data.path : 'llm', {
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
        const clean = (regionRoute?.path === 'llm' || regionRoute?.path === 'template') && ev.data.cacheable === true;
        if (path === 'cache' && cacheKeyOf && !cacheBroken && pred && deps.cache && clean && text.trim()) {
          const k = await cacheKey(); // made for the lookup above
          const ttl = (deps.routes.intents[pred.intent]?.cacheTtlSeconds ?? 3600) * 1000;
          const now = deps.now?.() ?? Date.now();
          const landing = land;
          land = null;
          deps.background(
            deps.cache
              .store({ frame: k.frame, vector: k.vector, question: resolution.text, answer: text, sources: (ev.data.sources ?? []).map((s) => s.id), createdAt: now, expiresAt: now + ttl })
              .catch((e) => console.error('cache write failed:', (e as Error).message))
              .finally(() => landing?.()),
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
        deps.onCacheLookup?.('stale');
        lookup = look;
        yield route('cache', { cache: cacheInfo(look) });
        yield { event: 'delta', data: { text: STALE_NOTE + stale.answer.answer } };
        yield done({ sources: stale.answer.sources.map((id) => ({ id })) });
        return;
      }
    }
    yield route('fallback');
    yield { event: 'delta', data: { text: deps.templates.handoff } };
    yield done();
  } finally {
    land?.();
  }
}

/** The message's decision with no context when it is a template answer (else null: the session is read). */
async function templateAlone(message: string, classifier: ContextClassifier, deps: ChatDeps, took: (ms: number) => void): Promise<InContextDecision | null> {
  const t = performance.now();
  const alone = resolveFollowUp(message, [], deps.dialogue);
  const c = await classifyInContext(classifier, message, alone, deps.routes, deps.dialogue).catch(() => null);
  took(performance.now() - t);
  if (c?.path !== 'template') return null;
  // An order intent: its template asks for the order id, which the conversation may already hold ("can I still cancel it?").
  if (looksUpOrders(deps.routes.intents[c.prediction.intent]?.route)) return null;
  if (c.prediction.intent !== deps.dialogue.courtesyIntent) return c;
  // Courtesy often prefaces a real follow-up ("fine. do you deliver there?", "ok, and volume 2"): the
  // context decides one that asks something or names anything; a plain thanks or goodbye ("ok that
  // answers it, ty", "have a lovely evening") is answered as it is; a question without its mark
  // ("who's it by") is not a thanks.
  return !asksSomething(message) && alone.entities.length === 0 ? c : null;
}

/** The route event's cache block for a hit: similarity, the threshold it cleared and the frame. */
function cacheInfo(l: CacheLookup): NonNullable<RouteEvent['cache']> {
  const { frame, threshold } = explainLookup(l);
  return { similarity: round(l.similarity ?? 0), stale: l.hit?.stale ?? false, entryId: l.hit?.id ?? '', threshold, frame };
}
