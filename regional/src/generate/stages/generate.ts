/**
 * Generate stage: streams the LLM's answer through the guard. Timeouts `llmFirstTokenMs` (until
 * the first token) and `llmTotalMs`; the caller's abort stops it. A failure before the first token
 * leaves the answer to the fallback stage (`llm_timeout` / `llm_unavailable`); after it, what was
 * sent stays and an LLM_INTERRUPTED error follows once the backend has no target left to continue
 * on (a continuation, marked by a `continued` chunk, is `midstream_failover`). A request with a
 * `prefill` (the edge continuing another region's answer) passes on only the new text: the
 * generator's repeat of the prefill is removed at the seam. Metric stages "llm_first_token" and "llm".
 *
 * Usage is the whole answer's: every part a target reported, plus an estimate (≈ 4 characters a
 * token) for each part whose target was cut before it reported: an attempt cut mid-stream here,
 * and the other region that wrote the prefill.
 */
import type { ChatEvent } from '../../../../shared/api/chat.ts';
import { SeamFilter } from '../../llm/seam.ts';
import type { LlmRequest } from '../../llm/types.ts';
import type { GenerateDeps } from '../pipeline.ts';
import type { SentenceGuard } from './guard.ts';
import { StageTimeout, type Run } from './run.ts';

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Counted from the text: its target was cut before it reported usage. */
  estimated?: boolean;
}

/** The answer's usage: the parts summed, and the parts themselves when more than one target wrote it. */
export type AnswerUsage = LlmUsage & { parts?: LlmUsage[] };

const approxTokens = (chars: number) => Math.ceil(chars / 4);

/** The prompt's length in characters without any prefill (system, messages, passages). */
function promptChars(req: LlmRequest): number {
  return req.system.length + req.messages.reduce((n, m) => n + m.content.length, 0) + (req.context ?? []).reduce((n, p) => n + (p.title?.length ?? 0) + p.text.length, 0);
}

/** The tokens of a generation that was cut before it reported them, estimated from the lengths. */
function estimatedPart(req: LlmRequest, cut: { prefillChars: number; outputChars: number }): LlmUsage {
  return { inputTokens: approxTokens(promptChars(req) + cut.prefillChars), outputTokens: approxTokens(cut.outputChars), estimated: true };
}

function sumUsage(parts: LlmUsage[]): AnswerUsage | undefined {
  if (!parts.length) return undefined;
  const sum = (k: 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens') => parts.reduce((n, p) => n + (p[k] ?? 0), 0);
  const cached = parts.some((p) => p.cacheReadTokens !== undefined || p.cacheWriteTokens !== undefined);
  return {
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    ...(cached ? { cacheReadTokens: sum('cacheReadTokens'), cacheWriteTokens: sum('cacheWriteTokens') } : {}),
    ...(parts.length > 1 ? { parts } : parts[0].estimated ? { estimated: true } : {}),
  };
}

export interface Generation {
  /** True once the first token came (the route event was sent). */
  routed: boolean;
  /** The text sent to the client. */
  sent: string;
  /** Which generator answered, e.g. "bedrock:claude-haiku@eu-west-1" or "extractive". */
  generator: string;
  usage?: AnswerUsage;
  /** The generator said it could not ground an answer (never cached). */
  unsupported?: boolean;
  /** Store records the generator looked up itself (cited as sources, part of the grounding). */
  passages?: { id: string; title?: string; text: string }[];
}

export async function* generateStage(
  llmReq: LlmRequest,
  deps: GenerateDeps,
  run: Run,
  guard: SentenceGuard,
  opts: { signal?: AbortSignal; routeEvent: (generator: string) => ChatEvent },
): AsyncGenerator<ChatEvent, Generation> {
  const out: Generation = { routed: false, sent: '', generator: deps.llm.name };
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  opts.signal?.addEventListener('abort', onAbort);
  llmReq.signal = ctrl.signal;
  const t = performance.now();
  const send = function* (texts: string[]): Generator<ChatEvent> {
    for (const text of texts) {
      if (!text) continue;
      out.sent += text;
      yield { event: 'delta', data: { text } };
    }
  };
  // The route event goes out with the generator's first token, even while the seam still holds
  // its text back (a long repeat must not look like a region that never answers).
  const route = function* (): Generator<ChatEvent> {
    if (out.generator === 'extractive') run.fallback('llm_not_configured');
    out.routed = true;
    yield opts.routeEvent(out.generator);
  };
  const seam = new SeamFilter(llmReq.prefill ?? '');
  // A prefill here is another region's half answer (the edge continuing it): that region died
  // before it could report its tokens.
  const parts: LlmUsage[] = llmReq.prefill ? [estimatedPart(llmReq, { prefillChars: 0, outputChars: llmReq.prefill.length })] : [];
  let first = true;
  let timedOut = false;
  const firstTimer = setTimeout(() => ((timedOut = true), ctrl.abort()), deps.timeouts.llmFirstTokenMs);
  const totalTimer = setTimeout(() => ((timedOut = true), ctrl.abort()), deps.timeouts.llmTotalMs);
  try {
    const iter = deps.llm.generate(llmReq)[Symbol.asyncIterator]();
    const aborted = new Promise<never>((_, rej) => ctrl.signal.addEventListener('abort', () => rej(new StageTimeout('llm aborted')), { once: true }));
    aborted.catch(() => {});
    for (;;) {
      const next = await Promise.race([iter.next(), aborted]);
      if (next.done) break;
      const chunk = next.value;
      if (chunk.type === 'meta') {
        out.generator = chunk.model === 'extractive' ? 'extractive' : `${deps.llm.name}:${chunk.model}${chunk.region ? `@${chunk.region}` : ''}`;
        if (chunk.unsupported) out.unsupported = true;
        if (chunk.passages?.length) {
          out.passages = chunk.passages;
          for (const p of chunk.passages) guard.addGrounding(`${p.title ?? ''}\n${p.text}`);
        }
      }
      else if (chunk.type === 'usage') {
        const { type: _, ...part } = chunk;
        parts.push(part);
      } else if (chunk.type === 'continued') {
        run.fallback('midstream_failover');
        if (chunk.unreported) parts.push(estimatedPart(llmReq, chunk.unreported));
      }
      else if (chunk.type === 'delta') {
        if (first) {
          first = false;
          clearTimeout(firstTimer);
          run.stage('llm_first_token', performance.now() - t);
          yield* route();
        }
        yield* send(guard.push(seam.push(chunk.text)));
      }
    }
    yield* send(guard.push(seam.end()));
    yield* send(guard.end());
  } catch (e) {
    run.fallback(timedOut || e instanceof StageTimeout ? 'llm_timeout' : 'llm_unavailable');
    if (out.routed) {
      yield* send(guard.end());
      yield { event: 'error', data: { code: 'LLM_INTERRUPTED', message: 'the answer was interrupted' } };
    }
  } finally {
    clearTimeout(firstTimer);
    clearTimeout(totalTimer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  run.stage('llm', performance.now() - t);
  guard.report(run);
  out.usage = sumUsage(parts);
  return out;
}
