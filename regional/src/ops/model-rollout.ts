/**
 * One model's live rollout in this region: the rule in force (from the registry), the candidate
 * versions it routes to (loaded from the registry, re-verified against their recorded sha256 and
 * warmed before they take traffic; a version that fails is refused and its traffic stays on the
 * control), the sticky assignment of each request, per-variant window stats and A/B counts, and
 * the canary monitor (evaluateCanary; on a breach the canary goes to 0% here at once, then in the
 * registry with the candidate sent back to dev, both recorded with machine-readable reasons).
 *
 * The control is whatever this region serves for the model (the production classifier or
 * reranker, the production LLM configuration or the built-in one): the rule's `control` version maps to it.
 */
import { hostname } from 'node:os';
import { ApiError } from '../../../shared/api/errors.ts';
import { StoreError, type ModelRegistryStore, type ModelVersionRecord, type RolloutRecord } from '../store/types.ts';
import { verifyRegisteredArtifact } from './register-folder.ts';
import { assign, DEFAULT_GUARDRAILS, evaluateCanary, type AssignmentUnit, type CanaryDecision, type CanaryObservation, type RolloutRule } from './rollout.ts';
import { candidateVersions, experimentKey, parseSpec, routingRule, type RolloutKind, type RolloutSpec } from './rollout-rules.ts';
import { AbCounts, VariantWindows } from './rollout-stats.ts';
import type { RolloutMetrics } from './rollout-metrics.ts';
import type { SharedWindows } from './rollout-fleet.ts';

export interface Served<T> {
  version: string;
  model: T;
}

export interface Candidate<T> {
  state: 'loading' | 'ready' | 'refused';
  model?: T;
  error?: { code: string; message: string };
  since: string;
  ready: Promise<void>;
}

export interface RolloutPick<T> {
  served: Served<T>;
  /** The version the rule assigned (served unless it was not ready). */
  assigned: string;
  role: 'control' | 'canary' | 'variant';
  /** A candidate to run in shadow on a copy of this request, after the answer was served. */
  shadow: Served<T> | null;
  control: Served<T>;
  /** A canary request on which the control also runs in shadow (agreement guardrail). */
  compareWithControl: boolean;
}

export interface ModelRolloutDeps<T, L> {
  registry: ModelRegistryStore;
  /** What this region serves for the model now; null: nothing (the rollout is inert). */
  main(): Served<T> | null;
  /** Loads and warms a registered version whose files were just re-verified; throws to refuse it. */
  load(rec: ModelVersionRecord): Promise<T>;
  dispose?(model: T): void;
  /** Per-experiment shadow logs, made anew whenever the experiment changes. */
  newLogs(): L;
  metrics: RolloutMetrics;
  windowMs: number;
  /** Evaluate the canary after this many new canary observations (besides the timer). */
  evalEvery: number;
  log: (m: string) => void;
  /** The fleet's windows (rollout-fleet.ts): the canary is judged on every instance's traffic. Absent: this process's own. */
  shared?: SharedWindows | null;
  /** A shared read failed (the monitor judged this instance's window instead). */
  onSharedError?: (e: Error) => void;
  random?: () => number;
  now?: () => number;
}

export type CanaryStatus = CanaryDecision & { at: string; observation: CanaryObservation };

export class ModelRollout<T, L = unknown> {
  record: RolloutRecord | null = null;
  spec: RolloutSpec | null = null;
  decision: CanaryStatus | null = null;
  logs: L;
  readonly windows: VariantWindows;
  readonly ab = new AbCounts();
  readonly pool = new Map<string, Candidate<T>>();
  private rule: RolloutRule | null = null;
  private key = '';
  private sinceEval = 0;
  private evaluating: Promise<CanaryStatus | null> | null = null;
  /** A rollback applied here that the registry has not recorded yet (it is retried on refresh). */
  private unsaved: { fromRevision: number; version: string; decision: CanaryDecision; observation: CanaryObservation } | null = null;
  private readonly random: () => number;
  readonly actor = `canary-monitor@${hostname()}`;

  constructor(
    readonly name: string,
    readonly kind: RolloutKind,
    private readonly deps: ModelRolloutDeps<T, L>,
  ) {
    this.windows = new VariantWindows({ windowMs: deps.windowMs, now: deps.now });
    this.logs = deps.newLogs();
    this.random = deps.random ?? Math.random;
  }

  main(): Served<T> | null {
    return this.deps.main();
  }

  /** True when the canary is judged on the fleet's windows (rollout-fleet.ts). */
  get sharesWindows(): boolean {
    return !!this.deps.shared;
  }

  /** Takes a rule revision (or none): candidates are loaded or dropped, stats reset when the experiment changed. */
  apply(rec: RolloutRecord | null): void {
    const revisionChanged = rec?.revision !== this.record?.revision;
    this.record = rec;
    const spec = parseSpec(rec?.rule ?? null);
    if (rec?.rule && !spec) this.deps.log(`${this.name}: rollout revision ${rec.revision} does not parse; serving the control`);
    this.spec = spec;
    this.rule = spec ? routingRule(this.name, spec) : null;
    const key = experimentKey(spec);
    if (key !== this.key) {
      this.key = key;
      this.windows.reset();
      this.ab.reset();
      this.logs = this.deps.newLogs();
      this.decision = null;
      this.sinceEval = 0;
    }
    const needed = new Set(spec ? candidateVersions(spec) : []);
    for (const [v, c] of this.pool) {
      // A refused version is tried again when the rule changes (its artifact may have been fixed).
      if (!needed.has(v) || (revisionChanged && c.state === 'refused')) this.drop(v);
    }
    for (const v of needed) this.ensure(v);
  }

  /** Loads the versions (unless loaded) and waits for them: refused ones throw with their code. */
  async preload(versions: string[]): Promise<void> {
    for (const v of versions) if (this.pool.get(v)?.state === 'refused') this.drop(v);
    await Promise.all(versions.map((v) => this.ensure(v)));
    for (const v of versions) {
      const c = this.pool.get(v);
      if (c?.state === 'refused') throw new ApiError(apiCode(c.error!.code), `${this.name}@${v} refused: ${c.error!.message}`);
    }
  }

  /** The variant for a request (sticky by user, else session), its shadow, and whether to compare with the control. */
  pick(unit: AssignmentUnit): RolloutPick<T> | null {
    const main = this.deps.main();
    if (!main) return null;
    if (!this.rule || !this.spec) return { served: main, assigned: main.version, role: 'control', shadow: null, control: main, compareWithControl: false };
    const a = assign(this.rule, unit);
    const served = this.resolve(a.variant, main) ?? main;
    const role = served.version === main.version ? 'control' : this.spec.canary ? 'canary' : 'variant';
    let shadow = a.shadow ? this.resolve(a.shadow, main) : null;
    if (shadow?.version === served.version) shadow = null;
    const compareWithControl = role === 'canary' && this.kind !== 'llm-config' && this.random() * 100 < (this.spec.agreementSample ?? 50);
    return { served, assigned: a.variant, role, shadow, control: main, compareWithControl };
  }

  /** One served request of `version` (latency of the model's stage, failed or not, classifier confidence). */
  observe(version: string, r: { ms: number; error: boolean; confidence?: number }): void {
    this.windows.observe(version, r);
    this.deps.metrics.served(this.name, version, r.ms, r.error);
    this.newData(version);
  }

  /** A canary request the control also ran on in shadow: agreed, or how far (0-1; a reranker's top-5 overlap). */
  compared(canaryVersion: string, agreed: boolean | number): void {
    this.windows.compared(canaryVersion, agreed);
    this.newData(canaryVersion);
  }

  /** The canary version while a canary takes traffic, else null. */
  activeCanary(): string | null {
    return this.spec?.canary && this.spec.canary.percent > 0 ? this.spec.canary.version : null;
  }

  /** The control version's name in the stats (what serves as control now). */
  controlVersion(): string | null {
    return this.deps.main()?.version ?? null;
  }

  /** Evaluates the canary's guardrails now; a breach rolls it back (unless autoRollback is false). */
  evaluate(): Promise<CanaryStatus | null> {
    this.evaluating ??= this.evaluateNow().finally(() => (this.evaluating = null));
    return this.evaluating;
  }

  /** Re-reads the rule from the registry; a rollback the registry missed is written again first. */
  async refresh(): Promise<void> {
    const rec = await this.deps.registry.getRollout(this.name);
    if (this.unsaved) {
      const s = parseSpec(rec?.rule ?? null);
      if (rec && rec.revision === this.unsaved.fromRevision && s?.canary?.version === this.unsaved.version && s.canary.percent > 0) {
        await this.save(this.unsaved.decision, this.unsaved.observation);
        return;
      }
      this.unsaved = null;
    }
    // A read that started before a newer revision was applied here (a rollback just saved) is stale.
    if (rec && this.record && rec.revision < this.record.revision) return;
    if (rec?.revision !== this.record?.revision) this.apply(rec);
  }

  close(): void {
    for (const v of [...this.pool.keys()]) this.drop(v);
  }

  private async evaluateNow(): Promise<CanaryStatus | null> {
    this.sinceEval = 0;
    const spec = this.spec;
    const control = this.controlVersion();
    if (!spec?.canary || !control) return null;
    if (spec.canary.percent === 0) return this.decision;
    const observation = await this.observation(control, spec.canary.version);
    const d = evaluateCanary(observation, spec.guardrails);
    this.decision = { ...d, at: new Date().toISOString(), observation };
    if (d.action === 'rollback' && spec.autoRollback !== false) await this.rollBack(spec, d, observation);
    return this.decision;
  }

  /** Writes this instance's window of the running canary to the fleet's (no-op without one or without a canary). */
  async share(): Promise<void> {
    if (!this.deps.shared || !this.activeCanary()) return;
    await this.deps.shared.publish(this.name, this.key, this.windows.snapshot());
  }

  /** The canary against the control over the fleet's windows (this process's own without a fleet, or while it does not answer). */
  private async observation(control: string, canary: string): Promise<CanaryObservation> {
    const shared = this.deps.shared;
    if (!shared) return this.windows.observation(control, canary);
    try {
      const all = await shared.exchange(this.name, this.key, this.windows.snapshot());
      return VariantWindows.merged({ windowMs: this.deps.windowMs, now: this.deps.now }, all).observation(control, canary);
    } catch (e) {
      this.deps.onSharedError?.(e as Error);
      return this.windows.observation(control, canary);
    }
  }

  /** Traffic goes back to the control here and now; then the registry records it. */
  private async rollBack(spec: RolloutSpec, d: CanaryDecision, observation: CanaryObservation): Promise<void> {
    const canary = spec.canary!;
    const next = rolledBackSpec(spec, d);
    this.spec = next;
    this.rule = routingRule(this.name, next);
    this.key = experimentKey(next); // keep the stats that led here for the status report
    this.deps.metrics.rolledBack(this.name, d.reasons.map((r) => r.code));
    this.deps.log(`${this.name}@${canary.version}: ${d.summary}; all traffic on the control`);
    this.unsaved = { fromRevision: this.record?.revision ?? 0, version: canary.version, decision: d, observation };
    await this.save(d, observation);
  }

  /** Writes the rollback: canary at 0% and, when the candidate is in staging, its move back to dev, in one transaction. */
  private async save(d: CanaryDecision, observation: CanaryObservation): Promise<void> {
    const reg = this.deps.registry;
    for (let attempt = 0; attempt < 3 && this.unsaved; attempt++) {
      try {
        const current = await reg.getRollout(this.name);
        const spec = parseSpec(current?.rule ?? null);
        if (!current || !spec?.canary || spec.canary.version !== this.unsaved.version || spec.canary.percent === 0) {
          // Someone changed or removed the rule meanwhile: theirs stands.
          this.unsaved = null;
          this.apply(current);
          return;
        }
        const details = {
          kind: 'canary_rollback',
          version: spec.canary.version,
          fromPercent: spec.canary.percent,
          codes: d.reasons.map((r) => r.code),
          reasons: d.reasons,
          observation,
          guardrails: { ...DEFAULT_GUARDRAILS, ...spec.guardrails },
          ruleRevision: current.revision,
        };
        const cand = await reg.getModelVersion(this.name, spec.canary.version);
        const change = { actor: this.actor, reason: d.summary, details, action: 'rollback' as const };
        const saved = await reg.putRollout(this.name, rolledBackSpec(spec, d), {
          ...change,
          expectedRevision: current.revision,
          ...(cand?.stage === 'staging' ? { stage: { version: spec.canary.version, to: 'dev' as const, change } } : {}),
        });
        this.unsaved = null;
        this.key = experimentKey(parseSpec(saved.rule));
        this.apply(saved);
        return;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === 'CONFLICT')) {
          this.deps.log(`${this.name}: could not record the rollback (${(e as Error).message}); retrying on the next refresh`);
          return;
        }
      }
    }
  }

  private newData(version: string): void {
    if (version !== this.activeCanary()) return;
    if (++this.sinceEval >= this.deps.evalEvery) void this.evaluate().catch((e) => this.deps.log(`${this.name}: canary evaluation failed: ${(e as Error).message}`));
  }

  private resolve(version: string, main: Served<T>): Served<T> | null {
    if (version === main.version || version === this.spec?.control) return main;
    const c = this.pool.get(version);
    return c?.state === 'ready' ? { version, model: c.model! } : null;
  }

  private ensure(v: string): Promise<void> {
    const have = this.pool.get(v);
    if (have) return have.ready;
    const c: Candidate<T> = { state: 'loading', since: new Date().toISOString(), ready: Promise.resolve() };
    this.pool.set(v, c);
    c.ready = (async () => {
      try {
        const rec = await this.deps.registry.getModelVersion(this.name, v);
        if (!rec) throw new ApiError('VERSION_NOT_FOUND', `no registered version ${this.name}@${v}`);
        if (rec.kind !== this.kind) throw new ApiError('INVALID_REQUEST', `${this.name}@${v} is a ${rec.kind}, not a ${this.kind}`);
        if (!(await verifyRegisteredArtifact(rec))) throw new ApiError('VERSION_NOT_VERIFIED', `${rec.artifactUri} cannot be read from here to verify`);
        const model = await this.deps.load(rec);
        if (this.pool.get(v) !== c) {
          this.deps.dispose?.(model);
          return;
        }
        Object.assign(c, { state: 'ready', model, since: new Date().toISOString() });
        this.deps.log(`${this.name}@${v}: verified, loaded and warmed for rollout`);
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        Object.assign(c, { state: 'refused', error: { code: typeof code === 'string' ? code : 'MODEL_UNAVAILABLE', message: (e as Error).message }, since: new Date().toISOString() });
        this.deps.log(`${this.name}@${v} refused for rollout (${(e as Error).message}); its traffic stays on the control`);
      }
    })();
    return c.ready;
  }

  private drop(v: string): void {
    const c = this.pool.get(v);
    this.pool.delete(v);
    if (c?.state === 'ready') this.deps.dispose?.(c.model!);
  }
}

function rolledBackSpec(spec: RolloutSpec, d: CanaryDecision): RolloutSpec {
  const canary = spec.canary!;
  return {
    ...spec,
    canary: { ...canary, percent: 0 },
    rolledBack: { at: new Date().toISOString(), version: canary.version, fromPercent: canary.percent, reasons: d.reasons.map((r) => r.code), summary: d.summary },
  };
}

const API_CODES = new Set(['VERSION_NOT_FOUND', 'VERSION_NOT_VERIFIED', 'MODEL_INTEGRITY', 'INVALID_REQUEST']);

/** A refusal's code as an API error code (load failures of other kinds: MODEL_UNAVAILABLE). */
function apiCode(code: string): 'VERSION_NOT_FOUND' | 'VERSION_NOT_VERIFIED' | 'MODEL_INTEGRITY' | 'INVALID_REQUEST' | 'MODEL_UNAVAILABLE' {
  return API_CODES.has(code) ? (code as 'MODEL_INTEGRITY') : 'MODEL_UNAVAILABLE';
}
