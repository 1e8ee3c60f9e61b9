/**
 * Generate stage: streams the LLM's answer through the guard. Timeouts `llmFirstTokenMs` (until
 * the first token) and `llmTotalMs`; the caller's abort stops it. A failure before the first token
 * leaves the answer to the fallback stage (`llm_timeout` / `llm_unavailable`); after it, what was
 * sent stays and an LLM_INTERRUPTED error follows (no retry after the first token). Metric stages
 * "llm_first_token" and "llm".
 */
import type { ChatEvent } from '../../../../shared/api/chat.ts';
import type { LlmRequest } from '../../llm/types.ts';
import type { GenerateDeps } from '../pipeline.ts';
import type { SentenceGuard } from './guard.ts';
import { StageTimeout, type Run } from './run.ts';

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export interface Generation {
  /** True once the first token came (the route event was sent). */
  routed: boolean;
  /** The text sent to the client. */
  sent: string;
  /** Which generator answered, e.g. "bedrock:claude-haiku@eu-west-1" or "extractive". */
  generator: string;
  usage?: LlmUsage;
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
      out.sent += text;
      yield { event: 'delta', data: { text } };
    }
  };
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
      else if (chunk.type === 'usage') out.usage = chunk;
      else if (chunk.type === 'delta') {
        if (!out.routed) {
          clearTimeout(firstTimer);
          run.stage('llm_first_token', performance.now() - t);
          if (out.generator === 'extractive') run.fallback('llm_not_configured');
          out.routed = true;
          yield opts.routeEvent(out.generator);
        }
        yield* send(guard.push(chunk.text));
      }
    }
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
  return out;
}
