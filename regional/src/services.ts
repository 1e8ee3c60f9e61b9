/**
 * Builds the regional service's parts from its configuration: store, models behind dynamic
 * batchers (or remote backends), the LLM behind a priority queue, metrics and fallbacks.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { domainPack } from './domain/pack-files.ts';
import { loadModelFolder } from './inference/load-node.ts';
import type { ClassifierCalibration, IntentPrediction } from '../../shared/models/intent-classifier.ts';
import { decideWithRouting, type VersionedRoutingConfig } from '../../shared/routing/routing-config.ts';
import { BedrockTitanEmbedder } from './backends/bedrock-titan.ts';
import { KServeV2Embedder } from './backends/kserve-v2.ts';
import type { Embedder } from './backends/types.ts';
import { BEDROCK_DEFAULT_PRICING, type ResolvedConfig as RegionalConfig } from './config.ts';
import { ExtractiveGenerator } from './generate/extractive.ts';
import { loadStoreAnswerData } from './generate/structured/answer-data.ts';
import { StoreAnswers } from './generate/structured/store-answers.ts';
import { CatalogReplies } from './generate/structured/catalog-reply.ts';
import { FallbackAnswers } from './generate/fallback-answers.ts';
import type { DecisiveAnswers } from './generate/stages/decisive.ts';
import type { OrderAnswers } from './generate/stages/order.ts';
import { DemoOrderLookup } from './orders/demo-orders.ts';
import { HttpOrderLookup, type OrderLookup } from './orders/order-lookup.ts';
import { OrderReplies } from './orders/order-reply.ts';
import { OrderProofs } from './orders/session-proofs.ts';
import { calibrationFileOf, relevanceScores } from './http/cohere/rerank-scores.ts';
import { createRateLimiter, type KeyRateLimiter } from './http/rate-limit.ts';
import { DynamicBatcher, type Lane } from './inference/batcher.ts';
import { retireModel } from './inference/retire.ts';
import { loadHfClassifier, loadHfCrossEncoder, loadHfEmbedder, type LoadedModelInfo } from './inference/hf-models.ts';
import { BedrockBackend } from './llm/bedrock.ts';
import { MeteredBackend } from './llm/metered.ts';
import { OpenAICompatibleBackend } from './llm/openai-compatible.ts';
import { PriorityQueueBackend } from './llm/priority-queue.ts';
import type { LlmBackend, LlmPricing } from './llm/types.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { reembedStaleChunks } from './retrieval/reembed.ts';
import { seedStoreKb } from './retrieval/store-kb.ts';
import { withoutPaths } from './http/public-paths.ts';
import type { Logger } from 'pino';
import { createRequestLogger } from './http/request-log.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/types.ts';
import type { EntityPattern } from '../../shared/cache/entities.ts';
import type { IntentPriorities } from '../../shared/routing/llm-priority.ts';
import type { IntentRoutes } from '../../shared/routing/intent-routes.ts';
import { dialogueEntitiesFor } from '../../shared/conversation/conversation-data.ts';
import type { DialogueEntities } from '../../shared/conversation/dialogue-entities.ts';

export interface ModelSlot {
  role: 'embedder' | 'reranker' | 'classifier' | 'generator';
  info: LoadedModelInfo | { name: string; version: string; backend: string };
}

export interface UnavailableModel {
  role: ModelSlot['role'];
  /** Why, without absolute paths (it is served on /readyz). */
  reason: string;
}

/** The routing config whose per-intent thresholds the region's classifier decides with (the pack's, or one promoted in the registry). */
export interface RoutingState {
  current: VersionedRoutingConfig | null;
}

export interface LoadedClassifier {
  info: LoadedModelInfo;
  /** The classifier's own thresholds, before any routing config. */
  calibration: ClassifierCalibration;
  classify(text: string): Promise<IntentPrediction>;
  dispose(): void;
}

export interface LoadedReranker {
  info: LoadedModelInfo;
  rerank(query: string, passages: string[], lane?: Lane): Promise<Float32Array>;
  dispose(): void;
}

export interface Services {
  config: RegionalConfig;
  store: Store;
  metrics: Metrics;
  embedder: Embedder;
  /** `lane` "batch": batch-job work, run in the room interactive calls leave (see DynamicBatcher). */
  rerank?: (query: string, passages: string[], lane?: Lane) => Promise<Float32Array>;
  classify?: (text: string, lane?: Lane) => Promise<IntentPrediction>;
  classifierVersion?: string;
  /** The thresholds of a loaded classifier (serving or candidate) by its "name@version", as route events name it. */
  classifierCalibration?: (version: string) => ClassifierCalibration | undefined;
  /** The routing config applied to the serving classifier's decisions (when tuned for its version). */
  routing: RoutingState;
  llm: LlmBackend;
  titles: string[];
  /** The domain's follow-up resolver and intent routes (shared/conversation), for requests that come without the edge's resolution. */
  conversation: { dialogue: DialogueEntities; routes: IntentRoutes };
  /** The domain's intents (domain.json), for the LLM priority of a message. */
  intents: IntentPriorities;
  /** The domain's id shapes (entities.json `patterns`), for the output guardrails. */
  idPatterns: readonly EntityPattern[];
  /** The domain's handoff when the LLM gave no usable answer (domain.json assistant.handoff, else templates.json handoff). */
  handoff: string;
  fallbackAnswers: FallbackAnswers;
  /** The order system for the pack's `order` route intents (none without such intents, or without ORDER_LOOKUP_URL and demo orders). */
  orders?: OrderAnswers;
  /** Answers from the catalog's rows for the pack's `catalog` route intents (none without such intents or answers.json). */
  catalog?: CatalogReplies;
  /** Answers quoted with no LLM from a passage the reranker is sure of (none with the extractive generator, or without answers.json). */
  decisive?: DecisiveAnswers;
  /** Per-key rate limits: in process, or shared through Redis (REDIS_URL) with the in-process one as fallback. */
  rateLimiter: KeyRateLimiter;
  models: ModelSlot[];
  /** The JSON request log (pino, stdout, LOG_LEVEL); tests may swap it to read the lines. */
  logger: Logger;
  /** Configured models that did not load (missing, refused by their checks): /readyz is 503 while any is listed. */
  unavailable: UnavailableModel[];
  batchers: DynamicBatcher<any, any>[];
  /** The background re-embedding of other embedders' chunks (REEMBED_STALE_CHUNKS): chunks done. */
  reembedded: Promise<number>;
  /**
   * Loads and warms another classifier folder beside the serving one behind its own batcher,
   * then swaps it in for new requests; in-flight ones finish on the old one, which is released
   * once its batcher has drained (see retireModel). Throws, leaving the old one serving, when the
   * folder does not load.
   */
  swapClassifier(dir: string): Promise<LoadedModelInfo>;
  /** As swapClassifier, for the in-process reranker (throws when none was loaded at startup). */
  swapReranker(dir: string): Promise<LoadedModelInfo>;
  /**
   * As swapClassifier, for the in-process embedder (throws for a remote one). The store switches
   * to the new embedder's version (vector search then compares only with chunks it embedded; text
   * search still finds the rest) and the re-embedding of stale chunks restarts with it.
   */
  swapEmbedder(dir: string): Promise<LoadedModelInfo>;
  /**
   * Loads and warms a classifier folder behind its own batcher (named `batcher`) without serving
   * it, e.g. a rollout candidate; `dispose` drops its batcher. Throws when the folder does not load.
   */
  loadClassifier(dir: string, batcher: string): Promise<LoadedClassifier>;
  /** As loadClassifier, for a reranker folder; `dispose` drops its batcher once drained and releases the session. */
  loadReranker(dir: string, batcher: string): Promise<LoadedReranker>;
  /** The service's log (startRegional's). */
  log: (msg: string) => void;
  close(): Promise<void>;
}

/** The pack's catalog answers: its `catalog` route intents over its catalog and answers.json; none when it has neither. */
function catalogReplies(packDir: string): CatalogReplies | undefined {
  const intents = Object.entries(domainPack(packDir).domain.intents).filter(([, r]) => r.route === 'catalog').map(([i]) => i);
  if (!intents.length || !existsSync(join(packDir, 'answers.json'))) return undefined;
  return new CatalogReplies(new Set(intents), new StoreAnswers(loadStoreAnswerData(packDir)));
}

/**
 * The order system for the pack's `order` route intents: ORDER_LOOKUP_URL when set (the region
 * holds its key; the edge never sees it), else the pack's demo orders (demo/orders.json, made-up
 * data), else none (order messages are generated as before). The region, not the edge, calls it:
 * the order system's credentials and the raw record stay in one private service, and the edge
 * forwards only messages that name an order id.
 */
function orderAnswers(config: RegionalConfig, metrics: Metrics, store: Store, log: (msg: string) => void): OrderAnswers | undefined {
  const pack = domainPack(config.SWITCHYARD_DOMAIN);
  const intents = Object.entries(pack.domain.intents).filter(([, r]) => r.route === 'order').map(([i]) => i);
  if (!intents.length || !pack.orderAnswers) return undefined;
  let lookup: OrderLookup;
  if (config.ORDER_LOOKUP_URL) lookup = new HttpOrderLookup({ url: config.ORDER_LOOKUP_URL, key: config.ORDER_LOOKUP_KEY, timeoutMs: config.ORDER_LOOKUP_TIMEOUT_MS });
  else if (pack.demoOrders?.length) lookup = new DemoOrderLookup(pack.demoOrders);
  else return (log(`order lookup: none (no ORDER_LOOKUP_URL, no demo orders): ${intents.join(', ')} answered by generation`), undefined);
  log(lookup.kind === 'http' ? `order lookup: ${new URL(config.ORDER_LOOKUP_URL!).origin} (timeout ${config.ORDER_LOOKUP_TIMEOUT_MS} ms)` : `order lookup: DEMO orders of the pack (${pack.demoOrders!.length}, demo/orders.json); set ORDER_LOOKUP_URL for the store's order system`);
  const replies = new OrderReplies(new Set(intents), pack.orderAnswers, pack.domain.locale);
  if (config.ORDER_VERIFY === 'email' && !replies.verifiesEmail()) throw new Error(`ORDER_VERIFY=email: the pack's orders.json lacks askEmail, notFoundWithEmail or tooManyAttempts (docs/orders.md); add them, or set ORDER_VERIFY=none where shoppers are signed in`);
  log(`order lookup: ${config.ORDER_VERIFY === 'email' ? 'details only with the email the order was placed with (ORDER_VERIFY=email)' : 'details for the order id alone (ORDER_VERIFY=none)'}`);
  return {
    lookup,
    replies,
    verify: config.ORDER_VERIFY,
    onLookup: (result) => metrics.orderLookups.inc({ result }),
    onEmailAsked: () => metrics.orderEmailAsks.inc(),
    // A session's proof of an order and its attempts, in the store every region instance on the database shares.
    ...(config.ORDER_VERIFY === 'email' ? { proofs: new OrderProofs({ store: store.orderChecks, ttlMs: config.SESSION_IDLE_MS, maxAttempts: config.ORDER_VERIFY_MAX_ATTEMPTS, timeoutMs: config.HISTORY_TIMEOUT_MS }) } : {}),
    onCheck: (result) => metrics.orderChecks.inc({ result }),
    onUnavailable: (m) => log(`order lookup unavailable: ${m}`),
  };
}

/** Decisive-retrieval answers (generate/stages/decisive.ts) for an LLM backend, when turned on and the pack has answers.json. */
function decisiveAnswers(config: RegionalConfig, packDir: string): DecisiveAnswers | undefined {
  if (config.DECISIVE_ANSWERS !== 'true' || config.LLM_BACKEND === 'extractive' || !existsSync(join(packDir, 'answers.json'))) return undefined;
  const data = loadStoreAnswerData(packDir);
  const calibration = calibrationFileOf(packDir);
  return {
    minRelevance: config.DECISIVE_MIN_RELEVANCE,
    relevance(logit, reranker) {
      const at = reranker?.lastIndexOf('@') ?? -1;
      if (at <= 0) return null;
      const r = relevanceScores([logit], { name: reranker!.slice(0, at), version: reranker!.slice(at + 1) }, calibration);
      return r.by.calibrated ? r.scores[0] : null;
    },
    isCatalog: (id) => data.catalogIds.has(id),
    excluded: new Set(domainPack(packDir).domain.assistant?.largeTier ?? []),
    generator: new ExtractiveGenerator(new StoreAnswers(data)),
  };
}

/** The configured model prices; Bedrock's defaults when it runs the default models unpriced. */
function llmPricing(config: RegionalConfig): LlmPricing | undefined {
  const fallback = config.LLM_BACKEND === 'bedrock' ? BEDROCK_DEFAULT_PRICING : undefined;
  const small = config.LLM_PRICE_SMALL ?? fallback?.small;
  const large = config.LLM_PRICE_LARGE ?? fallback?.large;
  return small && large ? { small, large } : undefined;
}

export async function buildServices(config: RegionalConfig, log: (msg: string) => void = console.log): Promise<Services> {
  const metrics = createMetrics({ sessionIdleMs: config.SESSION_IDLE_MS });
  const batchers: DynamicBatcher<any, any>[] = [];
  const batched = <I, O>(name: string, run: (items: I[]) => Promise<O[]>) => {
    const b = new DynamicBatcher<I, O>(run, {
      name,
      maxSize: config.BATCH_MAX_SIZE,
      maxDelayMs: config.BATCH_MAX_DELAY_MS,
      eager: config.BATCH_EAGER === 'true',
      onBatch: (size) => metrics.batchSize.observe({ model: name }, size),
    });
    batchers.push(b);
    return b;
  };
  const models: ModelSlot[] = [];
  const unavailable: UnavailableModel[] = [];

  // Embeddings: in-process (batched) or a remote fleet.
  let embedder: Embedder | undefined;
  if (config.EMBEDDINGS_BACKEND === 'kserve') {
    if (!config.KSERVE_URL) throw new Error('EMBEDDINGS_BACKEND=kserve needs KSERVE_URL');
    // The remote model has the same tokenizer and width as the local folder it was exported from.
    const folder = await loadModelFolder(config.EMBEDDER_MODEL);
    embedder = new KServeV2Embedder({
      baseUrl: config.KSERVE_URL,
      model: config.KSERVE_EMBEDDER_MODEL,
      dimensions: Number(folder.config.hidden_size),
      input: { mode: 'tokens', tokenizer: folder.tokenizer },
      timeoutMs: config.EMBED_TIMEOUT_MS,
    });
    models.push({ role: 'embedder', info: { name: config.KSERVE_EMBEDDER_MODEL, version: 'remote', backend: 'kserve-v2' } });
  } else if (config.EMBEDDINGS_BACKEND === 'bedrock') {
    embedder = new BedrockTitanEmbedder({ region: config.BEDROCK_REGIONS.split(',')[0].trim(), timeoutMs: config.EMBED_TIMEOUT_MS });
    models.push({ role: 'embedder', info: { name: 'amazon.titan-embed-text-v2:0', version: 'remote', backend: 'bedrock' } });
  }
  const metered = (e: Embedder, info: ModelSlot['info']): Embedder => ({ name: e.name, dimensions: e.dimensions, embed: metrics.meter('embedder', info, (t: string[], sig?: AbortSignal, lane?: Lane) => e.embed(t, sig, lane)) });
  // An in-process embedder behind its own batcher (hot reload loads the next one beside it).
  const loadEmbedder = async (dir: string) => {
    const local = await loadHfEmbedder(dir);
    const b = batched<string, Float32Array>('embedder', (texts) => local.embed(texts));
    const name = `${local.info.name}@${local.info.version}`;
    const embedder = metered({ name, dimensions: local.dimensions, embed: (texts, signal, lane) => b.runMany(texts, signal, lane) }, local.info);
    return { info: local.info, embedder, batcher: b, dispose: () => local.dispose() };
  };
  let localEmbedder: Awaited<ReturnType<typeof loadEmbedder>> | null = null;
  if (embedder) embedder = metered(embedder, models.at(-1)!.info);
  else {
    localEmbedder = await loadEmbedder(config.EMBEDDER_MODEL);
    embedder = localEmbedder.embedder;
    models.push({ role: 'embedder', info: localEmbedder.info });
  }
  log(`embedder ${embedder.name} (${embedder.dimensions}-d)`);

  // Reranker and classifier: optional; their absence is a recorded degradation, not a crash.
  const loadReranker = async (dir: string, name = 'reranker') => {
    const ce = await loadHfCrossEncoder(dir);
    const b = batched<{ query: string; passage: string }, number>(name, async (pairs) => [...(await ce.score(pairs))]);
    const rerank = metrics.meter('reranker', ce.info, async (query: string, passages: string[], lane?: Lane) => Float32Array.from(await b.runMany(passages.map((passage) => ({ query, passage })), undefined, lane)));
    return { info: ce.info, rerank, batcher: b, dispose: () => ce.dispose() };
  };
  let localReranker: Awaited<ReturnType<typeof loadReranker>> | null = null;
  try {
    localReranker = await loadReranker(config.RERANKER_MODEL);
    models.push({ role: 'reranker', info: localReranker.info });
    log(`reranker ${localReranker.info.name}@${localReranker.info.version}`);
  } catch (e) {
    log(`reranker unavailable (${(e as Error).message}); retrieval order is used`);
    unavailable.push({ role: 'reranker', reason: withoutPaths((e as Error).message) });
  }
  let classify: Services['classify'];
  let classifierVersion: string | undefined;
  const calibrations = new Map<string, ClassifierCalibration>();
  const routing: RoutingState = { current: domainPack(config.SWITCHYARD_DOMAIN).routingConfig ?? null };
  const loadClassifier = async (dir: string, name = 'classifier') => {
    const clf = await loadHfClassifier(dir);
    const id = `${clf.info.name}@${clf.info.version}`;
    calibrations.set(id, clf.calibration);
    // Decided with the routing config serving now, when it was tuned for this version (else the model's own thresholds).
    const b = batched<string, IntentPrediction>(name, async (texts) => (await clf.classify(texts)).map((p) => decideWithRouting(p, clf.calibration, routing.current, id)));
    const dispose = () => {
      const i = batchers.indexOf(b);
      if (i >= 0) batchers.splice(i, 1);
    };
    return { info: clf.info, calibration: clf.calibration, classify: metrics.meter('classifier', clf.info, (text: string, lane?: Lane) => b.run(text, undefined, lane)), batcher: b, dispose, release: () => clf.dispose() };
  };
  let localClassifier: Awaited<ReturnType<typeof loadClassifier>> | null = null;
  try {
    localClassifier = await loadClassifier(config.CLASSIFIER_MODEL);
    classify = localClassifier.classify;
    classifierVersion = `${localClassifier.info.name}@${localClassifier.info.version}`;
    models.push({ role: 'classifier', info: localClassifier.info });
  } catch (e) {
    log(`classifier unavailable (${(e as Error).message}); messages without an intent take the general path`);
    unavailable.push({ role: 'classifier', reason: withoutPaths((e as Error).message) });
  }

  // Generation.
  let inner: LlmBackend;
  const pricing = llmPricing(config);
  if (config.LLM_BACKEND === 'bedrock') {
    inner = new BedrockBackend({
      regions: config.BEDROCK_REGIONS.split(',').map((s) => s.trim()).filter(Boolean),
      models: { small: config.BEDROCK_MODEL_SMALL, large: config.BEDROCK_MODEL_LARGE },
      firstTokenTimeoutMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
      totalTimeoutMs: config.LLM_TOTAL_TIMEOUT_MS,
      ...(config.BEDROCK_ENDPOINT ? { endpoint: (region: string) => config.BEDROCK_ENDPOINT!.replaceAll('{region}', region) } : {}),
      onEvent: (e) => metrics.fallbacks.inc({ kind: `bedrock_${(e as { type?: string }).type ?? 'event'}` }),
      pricing,
    });
  } else if (config.LLM_BACKEND === 'openai') {
    inner = new OpenAICompatibleBackend({
      baseUrl: config.OPENAI_BASE_URL,
      apiKey: config.OPENAI_API_KEY,
      continuation: config.OPENAI_CONTINUATION,
      failover: config.OPENAI_FAILOVER_URLS.split(',').map((s) => s.trim()).filter(Boolean)
        .map((baseUrl) => ({ baseUrl, apiKey: config.OPENAI_API_KEY, continuation: config.OPENAI_CONTINUATION })),
      models: { small: config.OPENAI_MODEL_SMALL, large: config.OPENAI_MODEL_LARGE },
      firstTokenTimeoutMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
      totalTimeoutMs: config.LLM_TOTAL_TIMEOUT_MS,
      pricing,
    });
  } else {
    // With the pack's answers.json, answers from its structured data; without, quotes its passages.
    const packDir = config.SWITCHYARD_DOMAIN;
    inner = new ExtractiveGenerator(existsSync(join(packDir, 'answers.json')) ? new StoreAnswers(loadStoreAnswerData(packDir)) : undefined);
  }
  const generatorVersion = config.LLM_BACKEND === 'extractive' ? 'builtin' : 'remote';
  const llm = new PriorityQueueBackend(new MeteredBackend(inner, metrics, generatorVersion), { concurrency: config.LLM_CONCURRENCY, maxWaitMs: config.LLM_TOTAL_TIMEOUT_MS });
  models.push({ role: 'generator', info: { name: inner.name, version: generatorVersion, backend: config.LLM_BACKEND } });
  metrics.setSaturationSource({
    queues: () => ({
      ...Object.fromEntries(batchers.map((b) => [b.opts.name, b.depth])),
      ...Object.fromEntries(Object.entries(llm.scheduler.depth()).map(([k, n]) => [`llm_${k}`, n])),
    }),
    llm: () => ({ active: llm.scheduler.active, concurrency: llm.scheduler.concurrency }),
  });

  // The registry and rollouts the store opens are the served domain's alone.
  const store = await openStore(config.DATABASE_URL, { dimensions: embedder.dimensions, embeddingVersion: embedder.name, domain: domainPack(config.SWITCHYARD_DOMAIN).domain.name });
  if (config.SEED_STORE_KB === 'true') {
    const seeded = await seedStoreKb(store, embedder, { pack: domainPack(config.SWITCHYARD_DOMAIN) });
    log(`store knowledge base: ${JSON.stringify(seeded)}`);
  }
  const pack = domainPack(config.SWITCHYARD_DOMAIN);
  const titles = pack.catalog.map((t) => t.title);
  const catalog = catalogReplies(config.SWITCHYARD_DOMAIN);
  const decisive = decisiveAnswers(config, config.SWITCHYARD_DOMAIN);
  const orders = orderAnswers(config, metrics, store, log);
  const fallbackAnswers = new FallbackAnswers(store, { onStoreError: () => metrics.fallbacks.inc({ kind: 'fallback_answers_store' }) });
  const rateLimiter = createRateLimiter(config, () => metrics.fallbacks.inc({ kind: 'rate_limit_redis' }), log);
  const stopBackground = new AbortController();
  let stopReembed = new AbortController();
  const reembed = (e: Embedder): Promise<number> => {
    if (config.REEMBED_STALE_CHUNKS !== 'true') return Promise.resolve(0);
    const stop = (stopReembed = new AbortController());
    const signal = AbortSignal.any([stop.signal, stopBackground.signal]);
    return reembedStaleChunks(store, e, { signal }).then(
      ({ chunks }) => (chunks && log(`re-embedded ${chunks} chunks of other embedders with ${e.name}`), chunks),
      (err) => (signal.aborted || log(`re-embedding stopped: ${(err as Error).message}`), 0),
    );
  };
  const reembedded = reembed(embedder);

  /** Points the role's slot (what /readyz and the ops views list) and its metrics at `info`. */
  const serveAs = (role: 'embedder' | 'reranker' | 'classifier', info: LoadedModelInfo) => {
    const i = services.models.findIndex((m) => m.role === role);
    if (i >= 0) services.models[i] = { role, info };
    else services.models.push({ role, info });
    metrics.serving(role, info);
    log(`${role} now ${info.name}@${info.version}`);
  };
  const retiring = new Set<Promise<void>>();
  const retire = (role: string, old: { info: LoadedModelInfo; batcher: DynamicBatcher<any, any>; release(): Promise<void> }) => {
    const done = retireModel(batchers, old.batcher, old.release, { graceMs: config.MODEL_RETIRE_GRACE_MS, signal: stopBackground.signal }).then(
      () => log(`released ${role} ${old.info.name}@${old.info.version}`),
      (e) => log(`releasing ${role} ${old.info.name}@${old.info.version} failed: ${(e as Error).message}`),
    );
    retiring.add(done);
    void done.finally(() => retiring.delete(done));
  };

  const services: Services = {
    config,
    store,
    metrics,
    embedder,
    rerank: localReranker?.rerank,
    classify,
    classifierVersion,
    classifierCalibration: (version) => calibrations.get(version),
    routing,
    llm,
    titles,
    conversation: { dialogue: dialogueEntitiesFor(pack.gazetteer, pack.catalog, pack.conversation, pack.entityPatterns), routes: pack.routes },
    intents: pack.domain.intents,
    idPatterns: pack.entityPatterns,
    handoff: pack.domain.assistant?.handoff ?? pack.templates.handoff,
    ...(catalog ? { catalog } : {}),
    ...(decisive ? { decisive } : {}),
    ...(orders ? { orders } : {}),
    fallbackAnswers,
    rateLimiter,
    models,
    unavailable,
    logger: createRequestLogger(config.LOG_LEVEL),
    batchers,
    reembedded,
    swapClassifier: async (dir) => {
      const next = await loadClassifier(dir);
      const old = localClassifier;
      localClassifier = next;
      services.classify = next.classify;
      services.classifierVersion = `${next.info.name}@${next.info.version}`;
      serveAs('classifier', next.info);
      if (old) retire('classifier', old);
      return next.info;
    },
    swapReranker: async (dir) => {
      const old = localReranker;
      if (!old) throw new Error('no in-process reranker serves: nothing to swap');
      const next = await loadReranker(dir);
      localReranker = next;
      services.rerank = next.rerank;
      serveAs('reranker', next.info);
      retire('reranker', { ...old, release: old.dispose });
      return next.info;
    },
    swapEmbedder: async (dir) => {
      const old = localEmbedder;
      if (!old) throw new Error(`the embedder is remote (${config.EMBEDDINGS_BACKEND}): nothing to swap in this process`);
      const next = await loadEmbedder(dir);
      // The old embedder's re-embedding stops first: its vectors must not land under the new version.
      stopReembed.abort();
      await services.reembedded;
      try {
        await store.useEmbedding(next.embedder.name, next.embedder.dimensions);
      } catch (e) {
        metrics.serving('embedder', old.info); // loading the new one labelled it serving
        retire('embedder', { ...next, release: next.dispose });
        services.reembedded = reembed(old.embedder);
        throw e;
      }
      localEmbedder = next;
      services.embedder = next.embedder;
      serveAs('embedder', next.info);
      retire('embedder', { ...old, release: old.dispose });
      services.reembedded = reembed(next.embedder);
      return next.info;
    },
    // A candidate loaded beside the serving model does not serve: the role's errors stay the serving version's.
    loadClassifier: async (dir, name) => {
      const { batcher: _b, ...loaded } = await loadClassifier(dir, name);
      if (localClassifier) metrics.serving('classifier', localClassifier.info);
      return loaded;
    },
    loadReranker: async (dir, name) => {
      const c = await loadReranker(dir, name);
      if (localReranker) metrics.serving('reranker', localReranker.info);
      return { info: c.info, rerank: c.rerank, dispose: () => retire(name, { ...c, release: c.dispose }) };
    },
    log,
    close: async () => {
      stopBackground.abort();
      await services.reembedded;
      await Promise.all([...retiring]);
      await fallbackAnswers.flushed();
      await rateLimiter.close();
      await store.close();
    },
  };
  return services;
}
