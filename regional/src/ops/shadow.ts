/**
 * Shadow runs and their comparison report. The candidate runs on a copy of a request only after
 * the served answer has been handed back (scheduled with setImmediate, never awaited by the
 * caller), its errors are swallowed into the log, and its output is recorded, never served.
 *
 * The comparison: agreement rate, per-intent disagreements, latency delta (classifier); for an
 * LLM configuration, output length, guardrail pass rate and format validity side by side.
 */
import { percentiles } from '../../../models/eval/metrics.ts';

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

export interface ClassifierShadowReport {
  compared: number;
  candidateErrors: number;
  agreement: number | null;
  /** By the served (control) intent: how often the candidate said something else, and what. */
  disagreements: { intent: string; count: number; rate: number; candidateSaid: Record<string, number> }[];
  latencyMs: { control: { p50: number; p99: number }; candidate: { p50: number; p99: number }; deltaP50: number; deltaP99: number } | null;
}

/** Pairs of (served, shadow) classifier outputs, kept as counts plus bounded latency samples. */
export class ClassifierShadowLog {
  private compared = 0;
  private agreed = 0;
  private errors = 0;
  private readonly byIntent = new Map<string, { n: number; other: Map<string, number> }>();
  private readonly controlMs: number[] = [];
  private readonly candidateMs: number[] = [];

  constructor(private readonly maxSamples = 10_000) {}

  record(control: { intent: string; ms: number }, candidate: { intent: string; ms: number } | { error: unknown }): void {
    if ('error' in candidate) {
      this.errors++;
      return;
    }
    this.compared++;
    const e = this.byIntent.get(control.intent) ?? { n: 0, other: new Map<string, number>() };
    e.n++;
    if (candidate.intent === control.intent) this.agreed++;
    else e.other.set(candidate.intent, (e.other.get(candidate.intent) ?? 0) + 1);
    this.byIntent.set(control.intent, e);
    // Reservoir-free bound: keep the latest maxSamples pairs.
    if (this.controlMs.length >= this.maxSamples) {
      this.controlMs.shift();
      this.candidateMs.shift();
    }
    this.controlMs.push(control.ms);
    this.candidateMs.push(candidate.ms);
  }

  report(): ClassifierShadowReport {
    const disagreements = [...this.byIntent]
      .map(([intent, e]) => {
        const count = [...e.other.values()].reduce((s, v) => s + v, 0);
        return { intent, count, rate: e.n ? count / e.n : 0, candidateSaid: Object.fromEntries(e.other) };
      })
      .filter((d) => d.count > 0)
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
