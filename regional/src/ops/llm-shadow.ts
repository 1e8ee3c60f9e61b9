/**
 * Shadow runs of an LLM configuration: after an answer was served, the candidate configuration
 * generates on a copy of the same request (same message, same retrieved passages) at the lowest
 * priority of the LLM queue, and its output is checked the way a served answer is (grounding
 * guardrails, answer format). Nothing of it is ever sent to the user.
 */
import { checkGrounding } from '../generate/guardrails.ts';
import type { EntityPattern } from '../../../shared/cache/entities.ts';
import type { PipelineResult } from '../generate/pipeline.ts';
import type { LlmSettings } from '../generate/prompt.ts';
import type { LlmBackend, LlmRequest } from '../llm/types.ts';
import { llmShadowReport, type LlmOutputSample } from './shadow.ts';

/**
 * The answer format a store assistant's reply must have: some text, ending on a complete
 * sentence (an answer cut by its token budget is not), and plain prose (no markdown headings or
 * code fences, which the widget shows as-is).
 */
export function answerFormatOk(text: string): boolean {
  const t = text.trim();
  if (t.replace(/\W/g, '').length < 12) return false;
  if (/^#{1,6}\s|```/m.test(t)) return false;
  return /[.!?)"'\u201d]$/.test(t);
}

/** The served side of a comparison: what the user got from the control configuration. */
export function servedSample(r: PipelineResult): LlmOutputSample {
  const removed = (r.done.fallbacks ?? []).some((f) => f === 'guardrail_removed_sentences' || f === 'guardrail_fallback');
  return { text: r.text, guardrailsPassed: r.route.path === 'llm' && !removed, formatOk: answerFormatOk(r.text), ms: r.done.latencyMs.llm ?? 0 };
}

/**
 * Generates with `settings` on a copy of the served request, at low priority, within
 * `timeoutMs`, and checks the output like a served answer (every sentence grounded).
 */
export async function generateShadow(
  llm: LlmBackend,
  settings: LlmSettings,
  served: PipelineResult,
  req: { message: string; priority?: string },
  opts: { timeoutMs: number; titles: string[]; idPatterns: readonly EntityPattern[] },
): Promise<LlmOutputSample> {
  const intent = served.route.intent === 'unknown' ? undefined : served.route.intent;
  const request: LlmRequest = {
    ...served.generation.request,
    system: settings.system,
    maxTokens: settings.maxTokensFor(intent),
    tier: settings.tierFor(intent, req.message, req.priority),
    priority: 'low',
    signal: AbortSignal.timeout(opts.timeoutMs),
  };
  if (settings.temperature !== undefined) request.temperature = settings.temperature;
  else delete request.temperature;
  const t0 = performance.now();
  let text = '';
  for await (const chunk of llm.generate(request)) if (chunk.type === 'delta') text += chunk.text;
  const ms = performance.now() - t0;
  const grounded = checkGrounding(text, served.generation.grounding, opts.titles, opts.idPatterns).removed.length === 0;
  return { text, guardrailsPassed: grounded && text.trim().length > 0, formatOk: answerFormatOk(text), ms };
}

/** The latest pairs (served, shadow) of an LLM configuration shadow, and the runs that failed or were dropped. */
export class LlmShadowLog {
  private readonly pairs: { control: LlmOutputSample; candidate: LlmOutputSample }[] = [];
  private errors = 0;
  private dropped = 0;

  constructor(private readonly maxPairs = 2000) {}

  record(control: LlmOutputSample, candidate: LlmOutputSample | { error: unknown }): void {
    if ('error' in candidate) {
      this.errors++;
      return;
    }
    if (this.pairs.length >= this.maxPairs) this.pairs.shift();
    this.pairs.push({ control, candidate });
  }

  /** A shadow run skipped because the shadow concurrency cap was reached. */
  drop(): void {
    this.dropped++;
  }

  report() {
    const base = { compared: this.pairs.length, candidateErrors: this.errors, dropped: this.dropped };
    if (!this.pairs.length) return { ...base, control: null, candidate: null, delta: null };
    const r = llmShadowReport(this.pairs);
    const d = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
    return {
      ...base,
      ...r,
      delta: {
        outputCharsP50: r.candidate.outputChars.p50 - r.control.outputChars.p50,
        guardrailPassRate: d(r.control.guardrailPassRate, r.candidate.guardrailPassRate),
        formatOkRate: d(r.control.formatOkRate, r.candidate.formatOkRate),
        latencyP50Ms: r.candidate.latencyMs.p50 - r.control.latencyMs.p50,
      },
    };
  }
}
