/**
 * Rollout rules in the region's live traffic (`/v1/generate`), for the intent classifier, the
 * reranker and the LLM configuration. For each request `begin()` assigns, sticky by user id else
 * session id, the classifier variant (when the region classifies: no edge intent; batch jobs
 * never come here), the reranker variant and the LLM configuration variant; the pipeline serves
 * them, the route event and the persisted turn (and the classifier's prediction log) name the
 * versions that served.
 *
 * Shadow work runs strictly after the answer was handed back (`shadow()` is called once the
 * response is finished, and shadowRun defers again with setImmediate): a shadow candidate on a
 * copy of the request, and on a sample of canary requests the control, for the agreement
 * guardrail (classifier: the same intent; reranker: the overlap of the top 5 on the same
 * retrieved passages, run in the batch lane). It never changes the served answer and its errors
 * are swallowed into its report.
 * The LLM configuration shadow generates at the lowest priority of the LLM queue, at most
 * SHADOW_LLM_CONCURRENCY at a time (more are dropped and counted), so it cannot starve served
 * traffic.
 *
 * Rules come from the registry (model_rollouts) and are re-read every ROLLOUT_REFRESH_MS (the CLI
 * and other instances write there); the canary monitor evaluates every ROLLOUT_EVAL_INTERVAL_MS
 * and after every ROLLOUT_EVAL_EVERY new canary observations. With REDIS_URL the canary is judged on
 * the fleet's windows (every instance writes its own every ROLLOUT_SHARE_MS: rollout-fleet.ts) and
 * a rollback one instance records is obeyed by the others on their next refresh; without it the
 * stats are this process's own. The status endpoint's `stats` are always this process's.
 */
import type { GenerateRequest } from '../../../shared/api/chat.ts';
import { ApiError } from '../../../shared/api/errors.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { packIntents } from '../domain/store-files.ts';
import { topIndices, type PipelineResult } from '../generate/pipeline.ts';
import { builtinLlmSettings, type LlmSettings } from '../generate/prompt.ts';
import type { Lane } from '../inference/batcher.ts';
import type { ModelSlot, Services } from '../services.ts';
import type { ModelVersionRecord } from '../store/types.ts';
import { loadRegisteredLlmConfig } from './llm-config.ts';
import { loadRegisteredRoutingConfig, routingConfigName } from './routing-config.ts';
import { domainPack } from '../domain/pack-files.ts';
import { decideWithRouting, type VersionedRoutingConfig } from '../../../shared/routing/routing-config.ts';
import { generateShadow, LlmShadowLog, servedSample } from './llm-shadow.ts';
import { ModelRollout, type RolloutPick, type Served } from './model-rollout.ts';
import { abReport, DEFAULT_GUARDRAILS, requiredSampleSize } from './rollout.ts';
import { createRolloutMetrics, type RolloutMetrics } from './rollout-metrics.ts';
import type { RolloutKind } from './rollout-rules.ts';
import { RedisSharedWindows, type SharedWindows } from './rollout-fleet.ts';
import { instanceId } from './instance-id.ts';
import { rateLimitRedis } from '../http/rate-limit.ts';
import { ClassifierShadowLog, RERANK_TOP, RerankerShadowLog, shadowRun, type ShadowComparisonLog } from './shadow.ts';

export interface ClassifierModel {
  classify(text: string): Promise<IntentPrediction>;
  dispose?(): void;
}

export interface RerankerModel {
  rerank(query: string, passages: string[], lane?: Lane): Promise<Float32Array>;
  dispose?(): void;
}

export interface ComparisonLogs<L> {
  /** Shadow mode: the served (control) answer against the shadow candidate's. */
  shadow: L;
  /** Canary: the control, run in shadow on sampled canary requests, against the served canary answer. */
  canary: L;
}
export type ClassifierLogs = ComparisonLogs<ClassifierShadowLog>;
export type RerankerLogs = ComparisonLogs<RerankerShadowLog>;

export interface LiveRolloutOptions {
  refreshMs: number;
  evalIntervalMs: number;
  evalEvery: number;
  windowMs: number;
  llmConfigModel: string;
  /** The registry name of this domain's routing configs (`<domain>-routing-config`). */
  routingConfigModel: string;
  shadowLlmConcurrency: number;
  /** Most classifier (or reranker) shadow runs in flight per model; more are dropped (and counted). */
  shadowModelInFlight: number;
  log: (m: string) => void;
  /** The fleet's rollout windows (null: this process's own) and how often this instance writes its own there. */
  shared?: SharedWindows | null;
  shareMs?: number;
  onSharedError?: (e: Error) => void;
}

/** What the `/v1/generate` handler uses for one request. */
export interface LiveRequest {
  classify?: (text: string) => Promise<IntentPrediction>;
  classifierVersion?: string;
  rerank?: (query: string, passages: string[]) => Promise<Float32Array>;
  /** name@version of the reranker `rerank` calls. */
  rerankerVersion?: string;
  llmSettings: LlmSettings;
  /** name@version of the LLM configuration that served, for the persisted turn. */
  llmConfigVersion: string;
  /** Counts the served answer (A/B metric, LLM configuration stats); call before the response ends. */
  record(r: PipelineResult): void;
  /** Starts the shadow runs of this request; call after the response was handed back. */
  shadow(r: PipelineResult): void;
}

/** A routing config variant: its thresholds, or none (the classifier's own). */
export interface RoutingChoice {
  config: VersionedRoutingConfig | null;
}

type AnyRollout = ModelRollout<ClassifierModel, ClassifierLogs> | ModelRollout<RerankerModel, RerankerLogs> | ModelRollout<LlmSettings, LlmShadowLog> | ModelRollout<RoutingChoice, null>;

/** The served pack's test messages that warm a candidate classifier's session and batcher before it takes traffic. */
const warmTexts = (packDir: string) => packIntents(packDir).test.slice(0, 16).map((e) => e.text);

export class LiveRollouts {
  readonly classifier: ModelRollout<ClassifierModel, ClassifierLogs> | null;
  readonly reranker: ModelRollout<RerankerModel, RerankerLogs> | null;
  readonly llm: ModelRollout<LlmSettings, LlmShadowLog>;
  /** The routing config (per-intent thresholds) the region's classifier decides with. */
  readonly routing: ModelRollout<RoutingChoice, null>;
  readonly metrics: RolloutMetrics;
  private readonly builtin: LlmSettings;
  private llmMain: Served<LlmSettings>;
  /** The pack's own routing config: serves when the registry has no production version. */
  private readonly packRouting: VersionedRoutingConfig | null;
  private routingRefused: string | null = null;
  private llmRefused: string | null = null;
  /** Shadow runs in flight per model. */
  private readonly inFlight = new Map<string, number>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly s: Services,
    readonly opts: LiveRolloutOptions,
  ) {
    this.builtin = builtinLlmSettings(s.config.SWITCHYARD_DOMAIN);
    const WARM_TEXTS = warmTexts(s.config.SWITCHYARD_DOMAIN);
    this.llmMain = { version: this.builtin.version, model: this.builtin };
    this.metrics = createRolloutMetrics(s.metrics.registry, { models: () => this.all().map(gaugesOf) });
    const common = { registry: s.store.registry, metrics: this.metrics, windowMs: opts.windowMs, evalEvery: opts.evalEvery, log: opts.log, shared: opts.shared, onSharedError: opts.onSharedError };
    /** The rollout of the in-process model serving a role: the control is whatever serves it now (hot reloads included). */
    const inProcess = <T extends { dispose?(): void }, L>(role: ModelSlot['role'], kind: RolloutKind, serving: () => T | null, load: (rec: ModelVersionRecord) => Promise<T>, newLog: () => L) => {
      const info = s.models.find((m) => m.role === role)?.info;
      if (!info) return null;
      return new ModelRollout<T, ComparisonLogs<L>>(info.name, kind, {
        ...common,
        main: () => {
          const cur = s.models.find((m) => m.role === role)?.info;
          const model = serving();
          return cur && model ? { version: cur.version, model } : null;
        },
        load,
        dispose: (m) => m.dispose?.(),
        newLogs: () => ({ shadow: newLog(), canary: newLog() }),
      });
    };
    this.classifier = inProcess<ClassifierModel, ClassifierShadowLog>(
      'classifier',
      'intent-classifier',
      () => (s.classify ? { classify: s.classify } : null),
      (rec) => this.loadCandidate(rec, 'classifier', (dir, b) => s.loadClassifier(dir, b), (c) => Promise.all(WARM_TEXTS.map((t) => c.classify(t)))),
      () => new ClassifierShadowLog(),
    );
    this.reranker = inProcess<RerankerModel, RerankerShadowLog>(
      'reranker',
      'cross-encoder',
      () => (s.rerank ? { rerank: s.rerank } : null),
      (rec) => this.loadCandidate(rec, 'reranker', (dir, b) => s.loadReranker(dir, b), (c) => Promise.all(WARM_TEXTS.slice(0, 4).map((t) => c.rerank(t, s.titles.slice(0, 8))))),
      () => new RerankerShadowLog(),
    );
    this.llm = new ModelRollout<LlmSettings, LlmShadowLog>(opts.llmConfigModel, 'llm-config', {
      ...common,
      main: () => this.llmMain,
      load: (rec) => loadRegisteredLlmConfig(rec, this.builtin),
      newLogs: () => new LlmShadowLog(),
    });
    this.packRouting = s.routing.current;
    this.routing = new ModelRollout<RoutingChoice, null>(opts.routingConfigModel, 'routing-config', {
      ...common,
      main: () => ({ version: versionOf(s.routing.current), model: { config: s.routing.current } }),
      load: async (rec) => ({ config: await loadRegisteredRoutingConfig(rec) }),
      newLogs: () => null,
    });
  }

  all(): AnyRollout[] {
    return [...(this.classifier ? [this.classifier] : []), ...(this.reranker ? [this.reranker] : []), this.llm, this.routing];
  }

  /** The rollout of a model this region routes, or NOT_FOUND naming the ones it does. */
  get(name: string): AnyRollout {
    const r = this.all().find((x) => x.name === name);
    if (!r) throw new ApiError('NOT_FOUND', `this region routes rollouts for ${this.all().map((x) => x.name).join(', ')}, not ${name}`);
    return r;
  }

  /** The version serving as control for a model (what a rule's control defaults to). */
  servingVersion(name: string): string | null {
    return this.get(name).controlVersion();
  }

  start(): Promise<void> {
    const first = this.refresh();
    this.timers.push(setInterval(() => void this.refresh(), this.opts.refreshMs));
    this.timers.push(setInterval(() => void this.evaluateAll(), this.opts.evalIntervalMs));
    if (this.opts.shared) this.timers.push(setInterval(() => void this.shareAll(), this.opts.shareMs ?? 2000));
    for (const t of this.timers) t.unref();
    return first;
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const r of this.all()) r.close();
    void this.opts.shared?.close();
  }

  /** Writes this instance's windows of the running canaries to the fleet's. */
  async shareAll(): Promise<void> {
    for (const r of this.all()) await r.share().catch((e) => this.opts.onSharedError?.(e as Error));
  }

  /** Re-reads the rules (and the production LLM configuration) from the registry. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        await this.refreshLlmMain();
        await this.refreshRoutingMain();
        for (const r of this.all()) await r.refresh();
      } catch (e) {
        // The registry is unreachable: keep the rules we have and look again later.
        this.opts.log(`rollout refresh failed: ${(e as Error).message}`);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async evaluateAll(): Promise<void> {
    for (const r of this.all()) await r.evaluate().catch((e) => this.opts.log(`${r.name}: canary evaluation failed: ${(e as Error).message}`));
  }

  begin(body: GenerateRequest): LiveRequest {
    const unit = { userId: body.userId ?? null, sessionId: body.sessionId };
    const clf = this.classifier;
    const rr = this.reranker;
    const cp = !body.intent && clf ? clf.pick(unit) : null;
    const rp = rr ? rr.pick(unit) : null;
    const lp = this.llm.pick(unit)!;
    let served: ServedPrediction | null = null;
    const classify =
      cp && clf
        ? observed(clf, cp.served.version, this.s.config.CLASSIFY_TIMEOUT_MS, (text: string) => cp.served.model.classify(text), (p, ms, [text]) => {
            served = { text, intent: p.intent, confidence: p.confidence, confident: p.confident, ms };
            return { confidence: p.confidence };
          })
        : undefined;
    const rerank = rp && rr ? observed(rr, rp.served.version, this.s.config.RERANK_TIMEOUT_MS, (q: string, passages: string[]) => rp.served.model.rerank(q, passages)) : undefined;
    const rerankerInfo = this.s.models.find((m) => m.role === 'reranker')?.info;
    const classifierVersion = cp && clf ? `${clf.name}@${cp.served.version}` : this.s.classifierVersion;
    const base = classify ?? (body.intent ? undefined : this.s.classify);
    // A routing config variant re-decides the serving classifier's predictions (not a classifier candidate's: other confidences).
    const gp = base && (!cp || cp.served.version === cp.control.version) ? this.routing.pick(unit) : null;
    let routed: { confident: boolean } | null = null;
    const classifyRouted = gp && base && classifierVersion ? this.routedClassify(gp, base, classifierVersion, (p) => (routed = p)) : base;
    return {
      classify: classifyRouted,
      classifierVersion,
      rerank: rerank ?? this.s.rerank,
      rerankerVersion: rp && rr ? `${rr.name}@${rp.served.version}` : rerankerInfo && `${rerankerInfo.name}@${rerankerInfo.version}`,
      llmSettings: lp.served.model,
      llmConfigVersion: `${this.llm.name}@${lp.served.version}`,
      record: (r) => {
        const failed = (r.done.fallbacks ?? []).some((f) => f === 'llm_unavailable' || f === 'llm_timeout');
        this.llm.observe(lp.served.version, { ms: r.done.latencyMs.llm ?? 0, error: failed });
        this.llm.ab.record(lp.served.version, succeeded(this.llm.spec?.metric, r, served));
        if (cp && clf) clf.ab.record(cp.served.version, succeeded(clf.spec?.metric, r, served));
        if (rp && rr) rr.ab.record(rp.served.version, succeeded(rr.spec?.metric, r, null));
        if (gp) this.routing.ab.record(gp.served.version, this.routing.spec?.metric === 'confident' ? (routed as { confident: boolean } | null)?.confident === true : succeeded(undefined, r, null));
      },
      shadow: (r) => {
        const sp = served as ServedPrediction | null;
        if (cp && clf && sp) this.compareInShadow(clf, cp, { intent: sp.intent, ms: sp.ms }, (m) => m.classify(sp.text));
        const ranked = r.reranked;
        if (rp && rr && ranked) {
          const intent = r.route.intent;
          // Off the serving path and in the batch lane: served requests go first in a shared batcher.
          // The query the served reranker was given (a follow-up's resolution), not the message as typed.
          const rank = (m: RerankerModel) => m.rerank(ranked.query, ranked.passages, 'batch').then((scores) => ({ intent, ranking: topIndices(scores, RERANK_TOP) }));
          this.compareInShadow(rr, rp, { intent, ranking: ranked.ranking, ms: ranked.ms }, rank);
        }
        // A catalog answer (no generation) has nothing to shadow.
        if (lp.shadow && r.route.path === 'llm' && r.generation) this.shadowLlm(lp.shadow, { ...r, generation: r.generation }, body);
      },
    };
  }

  /**
   * The shadow runs of one served request of a classifier or reranker: the shadow candidate on a
   * copy of it, and on a sampled canary request the control (its agreement feeds the guardrail).
   */
  private compareInShadow<T, V extends { intent: string }>(
    ro: ModelRollout<T, ComparisonLogs<ShadowComparisonLog<V>>>,
    pick: RolloutPick<T>,
    served: V & { ms: number },
    run: (model: T) => Promise<V>,
  ): void {
    const logs = ro.logs;
    const outcome = (score: number) => (score === 1 ? 'agree' : 'disagree');
    if (pick.shadow) {
      const cand = pick.shadow;
      this.inShadow(ro.name, cand.version, () => run(cand.model), (r) => {
        logs.shadow.record(served, r.ok ? { ...r.value, ms: r.ms } : { error: r.error });
        this.metrics.shadow(ro.name, cand.version, r.ok ? outcome(logs.shadow.compare(served, r.value).score) : 'error');
      });
    }
    if (pick.compareWithControl) {
      const canary = pick.served.version;
      const control = pick.control;
      this.inShadow(ro.name, control.version, () => run(control.model), (r) => {
        if (!r.ok) return this.metrics.shadow(ro.name, control.version, 'error');
        const score = logs.canary.compare(r.value, served).score;
        logs.canary.record({ ...r.value, ms: r.ms }, served);
        this.metrics.shadow(ro.name, control.version, outcome(score));
        ro.compared(canary, score);
      });
    }
  }

  /** Runs `work` in shadow unless the model already has shadowModelInFlight runs going (then it is dropped and counted). */
  private inShadow<V>(model: string, version: string, work: () => Promise<V>, done: Parameters<typeof shadowRun<V>>[1]): void {
    const n = this.inFlight.get(model) ?? 0;
    if (n >= this.opts.shadowModelInFlight) return this.metrics.shadow(model, version, 'dropped');
    this.inFlight.set(model, n + 1);
    shadowRun(work, (r) => {
      this.inFlight.set(model, (this.inFlight.get(model) ?? 1) - 1);
      done(r);
    });
  }

  private shadowLlm(cand: Served<LlmSettings>, r: PipelineResult & Required<Pick<PipelineResult, 'generation'>>, body: GenerateRequest): void {
    const log = this.llm.logs;
    const n = this.inFlight.get(this.llm.name) ?? 0;
    if (n >= this.opts.shadowLlmConcurrency) {
      log.drop();
      return this.metrics.shadow(this.llm.name, cand.version, 'dropped');
    }
    this.inFlight.set(this.llm.name, n + 1);
    const control = servedSample(r);
    shadowRun(
      () => generateShadow(this.s.llm, cand.model, r, body, { timeoutMs: this.s.config.LLM_TOTAL_TIMEOUT_MS, titles: this.s.titles, idPatterns: this.s.idPatterns }),
      (res) => {
        this.inFlight.set(this.llm.name, (this.inFlight.get(this.llm.name) ?? 1) - 1);
        log.record(control, res.ok ? res.value : { error: res.error });
        this.metrics.shadow(this.llm.name, cand.version, res.ok ? 'ok' : 'error');
      },
    );
  }

  /** A candidate from its (just re-verified) folder, behind its own batcher (`role@version`), warmed. */
  private async loadCandidate<M extends { info: { name: string; version: string }; dispose(): void }>(
    rec: ModelVersionRecord,
    role: string,
    load: (dir: string, batcher: string) => Promise<M>,
    warm: (m: M) => Promise<unknown>,
  ): Promise<M> {
    const c = await load(rec.artifactUri.replace(/^file:\/\//, ''), `${role}@${rec.version}`);
    if (c.info.name !== rec.name || c.info.version !== rec.version) {
      c.dispose();
      throw new ApiError('MODEL_INTEGRITY', `the registered folder of ${rec.name}@${rec.version} holds ${c.info.name}@${c.info.version}`);
    }
    try {
      await warm(c);
    } catch (e) {
      c.dispose();
      throw e;
    }
    return c;
  }

  /**
   * `classify` deciding with the picked routing config's thresholds, observed under its version
   * (latency, confidence); on a canary request sampled for agreement, the control config's decision
   * on the same prediction is compared (the same `confident`: the same path).
   */
  private routedClassify(
    pick: RolloutPick<RoutingChoice>,
    classify: (text: string) => Promise<IntentPrediction>,
    classifierVersion: string,
    onServed: (p: IntentPrediction) => void,
  ): (text: string) => Promise<IntentPrediction> {
    const ro = this.routing;
    return async (text) => {
      const t0 = performance.now();
      try {
        const p = await classify(text);
        const own = this.s.classifierCalibration?.(classifierVersion);
        const out = own ? decideWithRouting(p, own, pick.served.model.config, classifierVersion) : p;
        ro.observe(pick.served.version, { ms: performance.now() - t0, error: false, confidence: out.confidence });
        if (pick.compareWithControl && own) ro.compared(pick.served.version, decideWithRouting(p, own, pick.control.model.config, classifierVersion).confident === out.confident);
        onServed(out);
        return out;
      } catch (e) {
        ro.observe(pick.served.version, { ms: performance.now() - t0, error: true });
        throw e;
      }
    };
  }

  /** The production routing config serves (verified) when there is one, else the pack's own; the classifier decides with it. */
  private async refreshRoutingMain(): Promise<void> {
    const prod = await this.s.store.registry.getProductionVersion(this.routing.name);
    if (!prod) {
      if (this.s.routing.current !== this.packRouting) this.opts.log(`no production ${this.routing.name}: the pack's routing config serves again`);
      this.s.routing.current = this.packRouting;
      return;
    }
    if (prod.version === versionOf(this.s.routing.current) || prod.version === this.routingRefused) return;
    try {
      this.s.routing.current = await loadRegisteredRoutingConfig(prod);
      this.routingRefused = null;
      this.opts.log(`routing config ${prod.name}@${prod.version} now serves`);
    } catch (e) {
      this.routingRefused = prod.version;
      this.opts.log(`refused routing config ${prod.name}@${prod.version}: ${(e as Error).message}; ${versionOf(this.s.routing.current)} keeps serving`);
    }
  }

  /** The production LLM configuration serves as control when there is one (verified), else the built-in one. */
  private async refreshLlmMain(): Promise<void> {
    const prod = await this.s.store.registry.getProductionVersion(this.llm.name);
    if (!prod) {
      this.llmMain = { version: this.builtin.version, model: this.builtin };
      return;
    }
    if (prod.version === this.llmMain.version || prod.version === this.llmRefused) return;
    try {
      this.llmMain = { version: prod.version, model: await loadRegisteredLlmConfig(prod, this.builtin) };
      this.llmRefused = null;
      this.opts.log(`LLM configuration ${prod.name}@${prod.version} now serves`);
    } catch (e) {
      this.llmRefused = prod.version;
      this.opts.log(`refused LLM configuration ${prod.name}@${prod.version}: ${(e as Error).message}; ${this.llmMain.version} keeps serving`);
    }
  }
}

/**
 * `run` counted as a served request of `version`: its latency, and failed when it threw or took
 * longer than the pipeline waits (`timeoutMs`: then it was not served). `onServed` sees a result
 * that was served and may add the classifier's confidence.
 */
function observed<A extends unknown[], R>(
  ro: { observe(version: string, r: { ms: number; error: boolean; confidence?: number }): void },
  version: string,
  timeoutMs: number,
  run: (...args: A) => Promise<R>,
  onServed?: (r: R, ms: number, args: A) => { confidence?: number },
): (...args: A) => Promise<R> {
  return async (...args) => {
    const t0 = performance.now();
    try {
      const r = await run(...args);
      const ms = performance.now() - t0;
      const late = ms > timeoutMs;
      ro.observe(version, { ms, error: late, ...(late ? {} : onServed?.(r, ms, args)) });
      return r;
    } catch (e) {
      ro.observe(version, { ms: performance.now() - t0, error: true });
      throw e;
    }
  };
}

interface ServedPrediction {
  text: string;
  intent: string;
  confidence: number;
  confident: boolean;
  ms: number;
}

/** The A/B metric of one served answer. */
function succeeded(metric: string | undefined, r: PipelineResult, p: ServedPrediction | null): boolean {
  if (metric === 'confident') return p?.confident === true;
  return r.route.path === 'llm' && r.done.cacheable === true;
}

function gaugesOf(r: AnyRollout) {
  const spec = r.spec;
  return {
    name: r.name,
    canaryPercent: spec?.canary ? spec.canary.percent : null,
    decision: r.decision?.action ?? null,
    agreement: spec?.canary ? [{ version: spec.canary.version, rate: r.windows.report(spec.canary.version).agreement.rate }] : [],
    candidates: [...r.pool].map(([version, c]) => ({ version, state: c.state })),
  };
}

/** A/B counts and the two-proportion test of each variant against the first (the control), with the sample size needed. */
export function abStatus(r: AnyRollout) {
  const spec = r.spec;
  const control = r.controlVersion();
  if (!spec || !control || !(spec.ab || spec.canary)) return null;
  const name = (v: string) => (v === spec.control ? control : v);
  const versions = spec.ab ? spec.ab.variants.map((v) => name(v.version)) : [control, spec.canary!.version];
  const metric = spec.metric ?? 'answered';
  const counts = versions.map((v) => ({ version: v, ...r.ab.get(v) }));
  const [a, ...rest] = counts;
  const comparisons = rest.map((b) => {
    if (!a.trials || !b.trials) {
      let required: number | null = null;
      try {
        required = spec.minDetectableEffect !== undefined && a.trials ? requiredSampleSize(a.successes / a.trials, a.successes / a.trials + spec.minDetectableEffect) : null;
      } catch {
        required = null;
      }
      return { control: a.version, variant: b.version, test: null, requiredPerVariant: required, enoughData: false };
    }
    const rep = abReport(metric, { name: a.version, ...a }, { name: b.version, ...b }, { minDetectableEffect: spec.minDetectableEffect });
    return { control: a.version, variant: b.version, test: rep.test, requiredPerVariant: rep.requiredPerVariant, enoughData: rep.enoughData };
  });
  return { metric, variants: counts.map((c) => ({ ...c, rate: c.trials ? c.successes / c.trials : null })), comparisons };
}

/**
 * The shadow comparison report of a model (classifier: agreement, per-intent disagreements,
 * latency; reranker: top-5 overlap, top-1 agreement, per-intent disagreements, latency; LLM
 * configuration: length, guardrails, format).
 */
export function shadowStatus(r: AnyRollout) {
  const spec = r.spec;
  const base = { model: r.name, kind: r.kind as RolloutKind, controlVersion: r.controlVersion(), candidateVersion: spec?.shadow?.version ?? null, percent: spec?.shadow?.percent ?? 0 };
  if (r.kind === 'llm-config') return { ...base, ...(r as ModelRollout<LlmSettings, LlmShadowLog>).logs.report() };
  // A routing config changes no model output to compare in shadow: its canary is judged on agreement of the path taken.
  if (r.kind === 'routing-config') return base;
  const logs = (r as ModelRollout<unknown, ComparisonLogs<ClassifierShadowLog | RerankerShadowLog>>).logs;
  return { ...base, ...logs.shadow.report(), canaryAgainstControl: spec?.canary ? logs.canary.report() : null };
}

/** Everything the status endpoint shows for a model. */
export function rolloutStatus(r: AnyRollout) {
  const spec = r.spec;
  return {
    model: r.name,
    kind: r.kind,
    revision: r.record?.revision ?? 0,
    rule: spec,
    updatedBy: r.record?.actor ?? null,
    updatedAt: r.record?.createdAt.toISOString() ?? null,
    reason: r.record?.reason ?? null,
    control: r.controlVersion(),
    candidates: [...r.pool].map(([version, c]) => ({ version, state: c.state, since: c.since, error: c.error ?? null })),
    canary: spec?.canary
      ? { ...spec.canary, decision: r.decision, guardrails: { ...DEFAULT_GUARDRAILS, ...spec.guardrails }, autoRollback: spec.autoRollback !== false, rolledBack: spec.rolledBack ?? null }
      : null,
    window: { ms: r.windows.windowMs, fleet: r.sharesWindows },
    stats: Object.fromEntries(r.windows.versions().map((v) => [v, r.windows.report(v)])),
    ab: abStatus(r),
    shadow: spec?.shadow ? shadowStatus(r) : null,
  };
}

const live = new WeakMap<Services, LiveRollouts>();

/** The live rollouts of a Services (made and started on first use, one per Services). */
export function liveRollouts(s: Services): LiveRollouts {
  let r = live.get(s);
  if (!r) {
    const c = s.config;
    r = new LiveRollouts(s, {
      refreshMs: c.ROLLOUT_REFRESH_MS,
      evalIntervalMs: c.ROLLOUT_EVAL_INTERVAL_MS,
      evalEvery: c.ROLLOUT_EVAL_EVERY,
      windowMs: c.ROLLOUT_WINDOW_MS,
      llmConfigModel: c.LLM_CONFIG_MODEL,
      routingConfigModel: routingConfigName(domainPack(c.SWITCHYARD_DOMAIN).domain.name),
      shadowLlmConcurrency: c.SHADOW_LLM_CONCURRENCY,
      shadowModelInFlight: 64,
      log: (m) => s.log(`rollout: ${m}`),
      ...sharedWindows(s),
    });
    live.set(s, r);
    void r.start();
  }
  return r;
}

/** The fleet's rollout windows in Redis (REDIS_URL), shared by every instance of the deployment (REDIS_KEY_PREFIX). */
function sharedWindows(s: Services): Pick<LiveRolloutOptions, 'shared' | 'shareMs' | 'onSharedError'> {
  const c = s.config;
  if (!c.REDIS_URL) return {};
  const timeoutMs = Math.max(c.REDIS_TIMEOUT_MS, 1000);
  const redis = rateLimitRedis(c.REDIS_URL, timeoutMs, (m) => s.log(m), { use: 'rollout windows', without: 'canaries are judged per process', back: 'rollout windows are shared again' });
  return {
    shared: new RedisSharedWindows(redis, { prefix: c.REDIS_KEY_PREFIX, domain: s.store.registry.domain, instance: instanceId(c), windowMs: c.ROLLOUT_WINDOW_MS }),
    shareMs: c.ROLLOUT_SHARE_MS,
    onSharedError: () => s.metrics.fallbacks.inc({ kind: 'rollout_windows_redis' }),
  };
}

/** Stops the Services' rollout timers and drops its candidates (call before closing the store). */
export function stopLiveRollouts(s: Services): void {
  live.get(s)?.stop();
}

/** The version part of a routing config's name@version ("none" when the classifier's own thresholds serve). */
function versionOf(rc: VersionedRoutingConfig | null): string {
  return rc ? rc.id.slice(rc.id.lastIndexOf('@') + 1) : 'none';
}
