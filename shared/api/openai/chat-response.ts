/**
 * Switchyard's chat events → an OpenAI chat completion, whole (`chat.completion`) or streamed
 * (`chat.completion.chunk`s then `[DONE]`). Which path answered becomes the response's `model`
 * (ANSWER_MODEL), the `x-switchyard-route` header and a `switchyard` object; template and cache
 * answers report zero LLM tokens. An answer interrupted after it started is an OpenAI error, in
 * the stream or as the response: a partial text is never passed off as complete.
 */
import type { ChatEvent, DoneEvent, RouteEvent } from '../chat.ts';
import { ApiError } from '../errors.ts';
import { READ_AHEAD } from '../event-response.ts';
import type { ClassifierCalibration } from '../../models/intent-classifier.ts';
import type { CompletionOptions } from './chat-request.ts';
import { TextLimits, type FinishReason } from './text-limits.ts';

/** The `model` each path answers as (the region's generator is named for the LLM path). */
export const ANSWER_MODEL: Record<RouteEvent['path'], (r: RouteEvent) => string> = {
  template: () => 'switchyard/template',
  cache: () => 'switchyard/cache',
  llm: (r) => `region/${r.generator ?? 'llm'}`,
  fallback: () => 'switchyard/fallback',
};

/** The decision thresholds the tier applied, reported with each answer. */
export interface RoutingThresholds {
  intent_route?: number;
  intent_oos?: number;
  intent_decline?: number;
  cache_hit?: number;
  cache_stale?: number;
}

/** A classifier's calibration as the `intent_*` thresholds of the `switchyard` object. */
export function classifierThresholds(cal: ClassifierCalibration | undefined): RoutingThresholds {
  if (!cal) return {};
  return { intent_route: cal.routeThreshold, intent_oos: cal.oosThreshold, ...(cal.declineThreshold !== undefined ? { intent_decline: cal.declineThreshold } : {}) };
}

export interface CompletionContext {
  id: string;
  created: number;
  thresholds: RoutingThresholds;
}

/** Waits for the route event (the pipeline's first), so headers can name the path before the body starts. */
export async function awaitRoute(events: AsyncGenerator<ChatEvent>): Promise<RouteEvent> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) throw new ApiError('INTERNAL', 'the chat pipeline ended without an answer');
    if (value.event === 'route') return value.data;
    if (value.event === 'error') throw new ApiError('UPSTREAM_UNAVAILABLE', value.data.message);
  }
}

export function routeHeaders(route: RouteEvent): Record<string, string> {
  return { 'x-switchyard-route': route.path, 'x-trace-id': route.traceId };
}

function switchyardInfo(route: RouteEvent, opts: CompletionOptions, ctx: CompletionContext, done?: DoneEvent) {
  return {
    path: route.path,
    intent: route.intent,
    confidence: route.confidence,
    model_version: route.modelVersion,
    thresholds: ctx.thresholds,
    cache: route.cache ? { similarity: route.cache.similarity, stale: route.cache.stale } : null,
    /** The last message rewritten against the earlier ones, when it was a follow-up (what was classified). */
    resolved: route.resolved ?? null,
    ...(route.generator ? { generator: route.generator } : {}),
    requested_model: opts.requestedModel,
    trace_id: route.traceId,
    fallbacks: done?.fallbacks ?? route.fallbacks,
    ...(done ? { latency_ms: done.latencyMs, sources: done.sources ?? [] } : {}),
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
  };
}

function usageOf(done: DoneEvent | undefined) {
  const prompt = done?.usage?.inputTokens ?? 0;
  const completion = done?.usage?.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

interface Collected {
  text: string;
  finish: FinishReason;
  done?: DoneEvent;
  interrupted?: string;
}

/** The rest of the answer through the limits, part by part; `out` holds the outcome once it ends. */
async function* limitedText(events: AsyncGenerator<ChatEvent>, opts: CompletionOptions, out: Collected): AsyncGenerator<string> {
  const limits = new TextLimits(opts.stop, opts.maxTokens);
  for await (const e of events) {
    if (e.event === 'delta') {
      // Past a limit the rest is read and dropped: the source ends on its own, so the answer is
      // recorded and billed as usual (the LLM was given the same budget, so little is dropped).
      const t = limits.push(e.data.text);
      if (t) yield (out.text += t, t);
    } else if (e.event === 'error') out.interrupted = e.data.message;
    else if (e.event === 'done') out.done = e.data;
  }
  const rest = limits.flush();
  if (rest) yield (out.text += rest, rest);
  out.finish = limits.finished ?? 'stop';
}

export async function completionJson(route: RouteEvent, events: AsyncGenerator<ChatEvent>, opts: CompletionOptions, ctx: CompletionContext) {
  const r: Collected = { text: '', finish: 'stop' };
  for await (const _ of limitedText(events, opts, r));
  if (r.interrupted) throw new ApiError('UPSTREAM_UNAVAILABLE', `the answer was interrupted: ${r.interrupted}`);
  return {
    id: ctx.id,
    object: 'chat.completion' as const,
    created: ctx.created,
    model: ANSWER_MODEL[route.path](route),
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: r.text, refusal: null, annotations: [] }, logprobs: null, finish_reason: r.finish }],
    usage: usageOf(r.done),
    switchyard: switchyardInfo(route, opts, ctx, r.done),
  };
}

/** Server-sent `chat.completion.chunk`s: role, content parts, finish (+ usage when asked), `[DONE]`. Pulled, so a client that goes away stops the source. */
export function completionStream(route: RouteEvent, events: AsyncGenerator<ChatEvent>, opts: CompletionOptions, ctx: CompletionContext, onError?: (e: unknown) => void): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const frames = chunkFrames(route, events, opts, ctx, onError);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await frames.next();
        if (done) controller.close();
        else controller.enqueue(enc.encode(value));
      },
      async cancel() {
        await frames.return(undefined);
        await events.return(undefined);
      },
    },
    READ_AHEAD,
  );
}

async function* chunkFrames(route: RouteEvent, events: AsyncGenerator<ChatEvent>, opts: CompletionOptions, ctx: CompletionContext, onError?: (e: unknown) => void): AsyncGenerator<string> {
  const model = ANSWER_MODEL[route.path](route);
  const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    frame({ id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model, system_fingerprint: null, choices, ...(opts.includeUsage ? { usage: null } : {}), ...extra });
  yield chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], { switchyard: switchyardInfo(route, opts, ctx) });
  const r: Collected = { text: '', finish: 'stop' };
  try {
    for await (const t of limitedText(events, opts, r)) yield chunk([{ index: 0, delta: { content: t }, logprobs: null, finish_reason: null }]);
    if (r.interrupted) {
      yield frame({ error: { message: `the answer was interrupted: ${r.interrupted}`, type: 'server_error', param: null, code: 'upstream_interrupted' } });
    } else {
      yield chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: r.finish }], { switchyard: switchyardInfo(route, opts, ctx, r.done) });
      if (opts.includeUsage) yield chunk([], { usage: usageOf(r.done) });
    }
  } catch (e) {
    onError?.(e);
    yield frame({ error: { message: 'internal error', type: 'server_error', param: null, code: 'internal_error' } });
  }
  yield 'data: [DONE]\n\n';
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
