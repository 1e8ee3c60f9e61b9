/**
 * Shadow runs and their comparison report. The candidate runs on a copy of a request only after
 * the served answer has been handed back (scheduled with setImmediate, never awaited by the
 * caller), its errors are swallowed into the log, and its output is recorded, never served.
 *
 * The comparison: agreement rate, per-intent disagreements, latency delta (classifier; for a
 * reranker the agreement is the overlap of the top 5, and whether the first passage is the same);
 * for an LLM configuration, output length, guardrail pass rate and format validity side by side.
 */
import { percentiles } from '../../../shared/eval/metrics.ts';

/** Runs `candidate` off the serving path; `onResult` gets its output and latency, or its error. */
export function shadowRun<T>(candidate: () => Promise<T>, onResult: (r: { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }) => void): void {
  setImmediate(() => {
    const t0 = performance.now();
    let p: Promise<T>;
    try {
      p = candidate();
    } catch (error) {
      onResult({ ok: false, error, ms: performance.now() - t0 });
      return;
    }
    p.then(
      (value) => onResult({ ok: true, value, ms: performance.now() - t0 }),
      (error) => onResult({ ok: false, error, ms: performance.now() - t0 }),
    ).catch(() => {});
  });
}

export type LatencyDelta = { control: { p50: number; p99: number }; candidate: { p50: number; p99: number }; deltaP50: number; deltaP99: number };

export interface ClassifierShadowReport {
  compared: number;
  candidateErrors: number;
  agreement: number | null;
  /** By the served (control) intent: how often the candidate said something else, and what. */
  disagreements: { intent: string; count: number; rate: number; candidateSaid: Record<string, number> }[];
  latencyMs: LatencyDelta | null;
}

/**
 * Pairs of (served, shadow) outputs of one model, kept as counts per intent plus bounded latency
 * samples. `compare` scores a pair (1: the candidate agrees; fractions for a partial agreement)
 * and names what differed (counted per intent).
 */
export class ShadowComparisonLog<V extends { intent: string }> {
  private compared = 0;
  private agreed = 0;
  private errors = 0;
  private readonly byIntent = new Map<string, { n: number; disagreed: number; other: Map<string, number> }>();
  private readonly controlMs: number[] = [];
  private readonly candidateMs: number[] = [];

  constructor(
    readonly compare: (control: V, candidate: V) => { score: number; differs: string[] },
    private readonly maxSamples = 10_000,
  ) {}

  record(control: V & { ms: number }, candidate: (V & { ms: number }) | { error: unknown }): void {
    if ('error' in candidate) {
      this.errors++;
      return;
    }
    this.compared++;
    const e = this.byIntent.get(control.intent) ?? { n: 0, disagreed: 0, other: new Map<string, number>() };
    e.n++;
    const c = this.compare(control, candidate);
    this.agreed += c.score;
    if (c.score < 1) e.disagreed++;
    for (const d of c.differs) e.other.set(d, (e.other.get(d) ?? 0) + 1);
    this.byIntent.set(control.intent, e);
    // Reservoir-free bound: keep the latest maxSamples pairs.
    if (this.controlMs.length >= this.maxSamples) {
      this.controlMs.shift();
      this.candidateMs.shift();
    }
    this.controlMs.push(control.ms);
    this.candidateMs.push(candidate.ms);
  }

  /** Compared pairs, errors, mean score, per-intent disagreements (with what differed) and the latency delta. */
  protected summary() {
    const disagreements = [...this.byIntent]
      .map(([intent, e]) => ({ intent, count: e.disagreed, rate: e.n ? e.disagreed / e.n : 0, differs: Object.fromEntries(e.other) }))
      .filter((d) => d.count > 0 || Object.keys(d.differs).length > 0)
      .sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent));
    const c = this.controlMs.length ? percentiles(this.controlMs) : null;
    const k = this.candidateMs.length ? percentiles(this.candidateMs) : null;
    return {
      compared: this.compared,
      candidateErrors: this.errors,
      agreement: this.compared ? this.agreed / this.compared : null,
      disagreements,
      latencyMs: c && k ? { control: { p50: c.p50, p99: c.p99 }, candidate: { p50: k.p50, p99: k.p99 }, deltaP50: k.p50 - c.p50, deltaP99: k.p99 - c.p99 } : null,
    };
  }
}

/** Served (control) intents against a candidate classifier's. */
export class ClassifierShadowLog extends ShadowComparisonLog<{ intent: string }> {
  constructor(maxSamples?: number) {
    super((a, b) => (a.intent === b.intent ? { score: 1, differs: [] } : { score: 0, differs: [b.intent] }), maxSamples);
  }

  report(): ClassifierShadowReport {
    const s = this.summary();
    return { ...s, disagreements: s.disagreements.map(({ differs, ...d }) => ({ ...d, candidateSaid: differs })) };
  }
}

/** How many passages a reranking comparison looks at (what the pipeline keeps). */
export const RERANK_TOP = 5;

/** Two rankings' agreement: the share of the top RERANK_TOP they have in common, and whether their first passage is the same. */
export function rankingAgreement(a: readonly number[], b: readonly number[]): { overlap: number; top1: boolean } {
  const top = new Set(b.slice(0, RERANK_TOP));
  const n = Math.max(Math.min(a.length, RERANK_TOP), Math.min(b.length, RERANK_TOP));
  return { overlap: n ? a.slice(0, RERANK_TOP).filter((i) => top.has(i)).length / n : 1, top1: a[0] === b[0] };
}

export interface RerankerShadowReport {
  compared: number;
  candidateErrors: number;
  /** Mean overlap of the top 5 (the share of the served top 5 the candidate also put in its top 5). */
  agreement: number | null;
  /** Share of requests on which the candidate put the same passage first. */
  top1Agreement: number | null;
  /** By the served intent: requests whose top 5 differed, and on how many the first passage differed. */
  disagreements: { intent: string; count: number; rate: number; top1Changed: number }[];
  latencyMs: LatencyDelta | null;
}

/** Served (control) rankings, as passage indices best first, against a candidate reranker's. */
export class RerankerShadowLog extends ShadowComparisonLog<{ intent: string; ranking: number[] }> {
  constructor(maxSamples?: number) {
    super((a, b) => {
      const g = rankingAgreement(a.ranking, b.ranking);
      return { score: g.overlap, differs: g.top1 ? [] : ['top1'] };
    }, maxSamples);
  }

  report(): RerankerShadowReport {
    const s = this.summary();
    const top1Changed = s.disagreements.reduce((n, d) => n + (d.differs.top1 ?? 0), 0);
    return {
      ...s,
      top1Agreement: s.compared ? (s.compared - top1Changed) / s.compared : null,
      disagreements: s.disagreements.map(({ differs, ...d }) => ({ ...d, top1Changed: differs.top1 ?? 0 })),
    };
  }
}

export interface LlmOutputSample {
  text: string;
  guardrailsPassed: boolean;
  /** Whether the output had the expected format (e.g. cited sources, JSON parsed). */
  formatOk: boolean;
  ms: number;
}

/** Side-by-side summary of an LLM configuration change run in shadow. */
export function llmShadowReport(pairs: readonly { control: LlmOutputSample; candidate: LlmOutputSample }[]) {
  const side = (xs: LlmOutputSample[]) => {
    const len = percentiles(xs.map((x) => x.text.length));
    const ms = percentiles(xs.map((x) => x.ms));
    return {
      n: xs.length,
      outputChars: { p50: len.p50, mean: len.mean },
      guardrailPassRate: xs.length ? xs.filter((x) => x.guardrailsPassed).length / xs.length : null,
      formatOkRate: xs.length ? xs.filter((x) => x.formatOk).length / xs.length : null,
      latencyMs: { p50: ms.p50, p99: ms.p99 },
    };
  };
  return { control: side(pairs.map((p) => p.control)), candidate: side(pairs.map((p) => p.candidate)) };
}
