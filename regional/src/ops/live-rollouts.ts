/**
 * Rollout rules in the region's live traffic (`/v1/generate`), for the intent classifier and the
 * LLM configuration. For each request `begin()` assigns, sticky by user id else session id, the
 * classifier variant (when the region classifies: no edge intent; batch jobs never come here)
 * and the LLM configuration variant; the pipeline serves them, the route event and the persisted
 * turn and prediction log name the versions that served.
 *
 * Shadow work runs strictly after the answer was handed back (`shadow()` is called once the
 * response is finished, and shadowRun defers again with setImmediate): a shadow candidate on a
 * copy of the request, and on a sample of canary requests the control, for the agreement
 * guardrail. It never changes the served answer and its errors are swallowed into its report.
 * The LLM configuration shadow generates at the lowest priority of the LLM queue, at most
 * SHADOW_LLM_CONCURRENCY at a time (more are dropped and counted), so it cannot starve served
 * traffic.
 *
 * Rules come from the registry (model_rollouts) and are re-read every ROLLOUT_REFRESH_MS (the CLI
 * and other instances write there); the canary monitor evaluates every ROLLOUT_EVAL_INTERVAL_MS
 * and after every ROLLOUT_EVAL_EVERY new canary observations. Stats are this process's own.
 */
import type { GenerateRequest } from '../../../shared/api/chat.ts';
import { ApiError } from '../../../shared/api/errors.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { storeIntents } from '../../../models/pipeline/store-data.ts';
import type { PipelineResult } from '../generate/pipeline.ts';
import { BUILTIN_LLM_SETTINGS, type LlmSettings } from '../generate/prompt.ts';
import type { Services } from '../services.ts';
import { loadRegisteredLlmConfig } from './llm-config.ts';
import { generateShadow, LlmShadowLog, servedSample } from './llm-shadow.ts';
import { ModelRollout, type RolloutPick, type Served } from './model-rollout.ts';
import { abReport, DEFAULT_GUARDRAILS, requiredSampleSize } from './rollout.ts';
import { createRolloutMetrics, type RolloutMetrics } from './rollout-metrics.ts';
import type { RolloutKind } from './rollout-rules.ts';
import { ClassifierShadowLog, shadowRun } from './shadow.ts';

export interface ClassifierModel {
  classify(text: string): Promise<IntentPrediction>;
  dispose?(): void;
}

export interface ClassifierLogs {
  /** Shadow mode: the served (control) answer against the shadow candidate's. */
  shadow: ClassifierShadowLog;
  /** Canary: the control, run in shadow on sampled canary requests, against the served canary answer. */
  canary: ClassifierShadowLog;
}

export interface LiveRolloutOptions {
  refreshMs: number;
  evalIntervalMs: number;
  evalEvery: number;
  windowMs: number;
  llmConfigModel: string;
  shadowLlmConcurrency: number;
  /** Most classifier shadow runs in flight; more are dropped (and counted). */
  shadowClassifierInFlight: number;
  log: (m: string) => void;
}

/** What the `/v1/generate` handler uses for one request. */
export interface LiveRequest {
  classify?: (text: string) => Promise<IntentPrediction>;
  classifierVersion?: string;
  llmSettings: LlmSettings;
  /** name@version of the LLM configuration that served, for the persisted turn. */
  llmConfigVersion: string;
  /** Counts the served answer (A/B metric, LLM configuration stats); call before the response ends. */
  record(r: PipelineResult): void;
  /** Starts the shadow runs of this request; call after the response was handed back. */
  shadow(r: PipelineResult): void;
}

type AnyRollout = ModelRollout<ClassifierModel, ClassifierLogs> | ModelRollout<LlmSettings, LlmShadowLog>;

/** Store messages that warm a candidate classifier's session and batcher before it takes traffic. */
const WARM_TEXTS = storeIntents().test.slice(0, 16).map((e) => e.text);

export class LiveRollouts {
  readonly classifier: ModelRollout<ClassifierModel, ClassifierLogs> | null;
  readonly llm: ModelRollout<LlmSettings, LlmShadowLog>;
  readonly metrics: RolloutMetrics;
  private llmMain: Served<LlmSettings> = { version: BUILTIN_LLM_SETTINGS.version, model: BUILTIN_LLM_SETTINGS };
  private llmRefused: string | null = null;
  private readonly inFlight = { classifier: 0, llm: 0 };
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly s: Services,
    readonly opts: LiveRolloutOptions,
  ) {
    this.metrics = createRolloutMetrics(s.metrics.registry, { models: () => this.all().map(gaugesOf) });
    const common = { registry: s.store.registry, metrics: this.metrics, windowMs: opts.windowMs, evalEvery: opts.evalEvery, log: opts.log };
    const info = s.models.find((m) => m.role === 'classifier')?.info;
    this.classifier = info
      ? new ModelRollout<ClassifierModel, ClassifierLogs>(info.name, 'intent-classifier', {
          ...common,
          main: () => {
            const cur = s.models.find((m) => m.role === 'classifier')?.info;
            return cur && s.classify ? { version: cur.version, model: { classify: s.classify } } : null;
          },
          load: (rec) => this.loadClassifier(rec.name, rec.version, rec.artifactUri),
          dispose: (m) => m.dispose?.(),
          newLogs: () => ({ shadow: new ClassifierShadowLog(), canary: new ClassifierShadowLog() }),
        })
      : null;
    this.llm = new ModelRollout<LlmSettings, LlmShadowLog>(opts.llmConfigModel, 'llm-config', {
      ...common,
      main: () => this.llmMain,
      load: (rec) => loadRegisteredLlmConfig(rec),
      newLogs: () => new LlmShadowLog(),
    });
  }

  all(): AnyRollout[] {
    return [...(this.classifier ? [this.classifier] : []), this.llm];
  }

  /** The rollout of a model this region routes, or NOT_FOUND naming the ones it does. */
  get(name: string): AnyRollout {
    const r = this.all().find((x) => x.name === name);
    if (!r) throw new ApiError('NOT_FOUND', `this region routes rollouts for ${this.all().map((x) => x.name).join(' and ')}, not ${name}`);
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
    for (const t of this.timers) t.unref();
    return first;
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const r of this.all()) r.close();
  }

  /** Re-reads the rules (and the production LLM configuration) from the registry. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        await this.refreshLlmMain();
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
    const cp = !body.intent && clf ? clf.pick(unit) : null;
    const lp = this.llm.pick(unit)!;
    let served: ServedPrediction | null = null;
    const timeoutMs = this.s.config.CLASSIFY_TIMEOUT_MS;
    const classify =
      cp && clf
        ? async (text: string) => {
            const t0 = performance.now();
            try {
              const p = await cp.served.model.classify(text);
              const ms = performance.now() - t0;
              // Slower than the pipeline waits is a failure of the variant, as an error is (and was not served).
              const late = ms > timeoutMs;
              if (!late) served = { text, intent: p.intent, confidence: p.confidence, confident: p.confident, ms };
              clf.observe(cp.served.version, { ms, error: late, confidence: p.confidence });
              return p;
            } catch (e) {
              clf.observe(cp.served.version, { ms: performance.now() - t0, error: true });
              throw e;
            }
          }
        : undefined;
    return {
      classify: classify ?? (body.intent ? undefined : this.s.classify),
      classifierVersion: cp && clf ? `${clf.name}@${cp.served.version}` : this.s.classifierVersion,
      llmSettings: lp.served.model,
      llmConfigVersion: `${this.llm.name}@${lp.served.version}`,
      record: (r) => {
        const failed = (r.done.fallbacks ?? []).some((f) => f === 'llm_unavailable' || f === 'llm_timeout');
        this.llm.observe(lp.served.version, { ms: r.done.latencyMs.llm ?? 0, error: failed });
        this.llm.ab.record(lp.served.version, succeeded(this.llm.spec?.metric, r, served));
        if (cp && clf) clf.ab.record(cp.served.version, succeeded(clf.spec?.metric, r, served));
      },
      shadow: (r) => {
        if (cp && clf && served) this.shadowClassifier(clf, cp, served);
        if (lp.shadow && r.route.path === 'llm') this.shadowLlm(lp.shadow, r, body);
      },
    };
  }

  private shadowClassifier(clf: ModelRollout<ClassifierModel, ClassifierLogs>, cp: RolloutPick<ClassifierModel>, sp: ServedPrediction): void {
    const logs = clf.logs;
    if (cp.shadow) {
      const cand = cp.shadow;
      this.classifyInShadow(clf.name, cand, sp.text, (r) => {
        logs.shadow.record({ intent: sp.intent, ms: sp.ms }, r.ok ? { intent: r.value.intent, ms: r.ms } : { error: r.error });
        this.metrics.shadow(clf.name, cand.version, r.ok ? (r.value.intent === sp.intent ? 'agree' : 'disagree') : 'error');
      });
    }
    if (cp.compareWithControl) {
      const canary = cp.served.version;
      this.classifyInShadow(clf.name, cp.control, sp.text, (r) => {
        if (!r.ok) return this.metrics.shadow(clf.name, cp.control.version, 'error');
        logs.canary.record({ intent: r.value.intent, ms: r.ms }, { intent: sp.intent, ms: sp.ms });
        this.metrics.shadow(clf.name, cp.control.version, r.value.intent === sp.intent ? 'agree' : 'disagree');
        clf.compared(canary, r.value.intent === sp.intent);
      });
    }
  }

  private classifyInShadow(model: string, target: Served<ClassifierModel>, text: string, done: Parameters<typeof shadowRun<IntentPrediction>>[1]): void {
    if (this.inFlight.classifier >= this.opts.shadowClassifierInFlight) return this.metrics.shadow(model, target.version, 'dropped');
    this.inFlight.classifier++;
    shadowRun(
      () => target.model.classify(text),
      (r) => {
        this.inFlight.classifier--;
        done(r);
      },
    );
  }

  private shadowLlm(cand: Served<LlmSettings>, r: PipelineResult, body: GenerateRequest): void {
    const log = this.llm.logs;
    if (this.inFlight.llm >= this.opts.shadowLlmConcurrency) {
      log.drop();
      return this.metrics.shadow(this.llm.name, cand.version, 'dropped');
    }
    this.inFlight.llm++;
    const control = servedSample(r);
    shadowRun(
      () => generateShadow(this.s.llm, cand.model, r, body, { timeoutMs: this.s.config.LLM_TOTAL_TIMEOUT_MS, titles: this.s.titles }),
      (res) => {
        this.inFlight.llm--;
        log.record(control, res.ok ? res.value : { error: res.error });
        this.metrics.shadow(this.llm.name, cand.version, res.ok ? 'ok' : 'error');
      },
    );
  }

  /** A candidate classifier from its (just re-verified) folder, behind its own batcher, warmed. */
  private async loadClassifier(name: string, version: string, uri: string): Promise<ClassifierModel> {
    const c = await this.s.loadClassifier(uri.replace(/^file:\/\//, ''), `classifier@${version}`);
    if (c.info.name !== name || c.info.version !== version) {
      c.dispose();
      throw new ApiError('MODEL_INTEGRITY', `the registered folder of ${name}@${version} holds ${c.info.name}@${c.info.version}`);
    }
    try {
      await Promise.all(WARM_TEXTS.map((t) => c.classify(t)));
    } catch (e) {
      c.dispose();
      throw e;
    }
    return { classify: c.classify, dispose: c.dispose };
  }

  /** The production LLM configuration serves as control when there is one (verified), else the built-in one. */
  private async refreshLlmMain(): Promise<void> {
    const prod = await this.s.store.registry.getProductionVersion(this.llm.name);
    if (!prod) {
      this.llmMain = { version: BUILTIN_LLM_SETTINGS.version, model: BUILTIN_LLM_SETTINGS };
      return;
    }
    if (prod.version === this.llmMain.version || prod.version === this.llmRefused) return;
    try {
      this.llmMain = { version: prod.version, model: await loadRegisteredLlmConfig(prod) };
      this.llmRefused = null;
      this.opts.log(`LLM configuration ${prod.name}@${prod.version} now serves`);
    } catch (e) {
      this.llmRefused = prod.version;
      this.opts.log(`refused LLM configuration ${prod.name}@${prod.version}: ${(e as Error).message}; ${this.llmMain.version} keeps serving`);
    }
  }
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

/** The shadow comparison report of a model (classifier: agreement, per-intent disagreements, latency; LLM configuration: length, guardrails, format). */
export function shadowStatus(r: AnyRollout) {
  const spec = r.spec;
  const base = { model: r.name, kind: r.kind as RolloutKind, controlVersion: r.controlVersion(), candidateVersion: spec?.shadow?.version ?? null, percent: spec?.shadow?.percent ?? 0 };
  if (r.kind === 'llm-config') return { ...base, ...(r as ModelRollout<LlmSettings, LlmShadowLog>).logs.report() };
  const logs = (r as ModelRollout<ClassifierModel, ClassifierLogs>).logs;
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
    window: { ms: r.windows.windowMs },
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
      shadowLlmConcurrency: c.SHADOW_LLM_CONCURRENCY,
      shadowClassifierInFlight: 64,
      log: (m) => s.log(`rollout: ${m}`),
    });
    live.set(s, r);
    void r.start();
  }
  return r;
}

/** Stops the Services' rollout timers and drops its candidates (call before closing the store). */
export function stopLiveRollouts(s: Services): void {
  live.get(s)?.stop();
}
