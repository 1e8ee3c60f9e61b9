/**
 * A stand-in for Amazon Bedrock's ConverseStream at the HTTP boundary, for the traffic replay: it
 * answers POST /model/{modelId}/converse-stream with AWS event-stream frames, grounded in the
 * passages the region sent (the first passage's sentences, so guardrails see a grounded answer),
 * with token counts and latency drawn from the distributions below, and keeps a ledger of every
 * call's usage. Token model: prompt tokens = characters / 4 of system + messages (the estimate the
 * region uses); the system prompt before its cachePoint is written to the prompt cache on first
 * use per model and read afterwards for 5 minutes, only when it reaches the model's minimum
 * cacheable length (as Bedrock does). Refuses (400, ValidationException) a body it cannot read.
 */
import { createServer, type Server } from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { CallUsage, Tier } from './cost.ts';
import { logNormal, rng } from './random.ts';

export interface StubDistributions {
  /** Output tokens: log-normal, median and sigma, clamped to [8, the request's maxTokens]. */
  outputTokens: { median: number; sigma: number };
  /** Time to the first token (ms): log-normal. */
  firstTokenMs: { median: number; sigma: number };
  /** Generation speed after the first token. */
  tokensPerSecond: number;
  /** Minimum cacheable prefix per tier (Claude 3.5 Haiku 2,048 tokens, Claude Sonnet 4 1,024). */
  minCacheTokens: Record<Tier, number>;
  cacheTtlMs: number;
}

export const DEFAULT_DISTRIBUTIONS: StubDistributions = {
  outputTokens: { median: 90, sigma: 0.5 },
  firstTokenMs: { median: 350, sigma: 0.35 },
  tokensPerSecond: 80,
  minCacheTokens: { small: 2048, large: 1024 },
  cacheTtlMs: 5 * 60_000,
};

export interface StubCall extends CallUsage {
  /** Every prompt token, whatever its billing (system + history + passages + message). */
  promptTokens: number;
}

/** What a call asked for (kept with `keepRequests`): the model, the system text and every message's text. */
export interface StubRequest {
  modelId: string;
  system: string;
  messages: { role: string; text: string }[];
}

export interface BedrockStub {
  url: string;
  calls: StubCall[];
  /** Every request's content, with `keepRequests` (tests that check what the region sent); else empty. */
  requests: StubRequest[];
  close(): Promise<void>;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const frame = (type: string, body: unknown) =>
  codec.encode({
    headers: { ':event-type': { type: 'string', value: type }, ':message-type': { type: 'string', value: 'event' }, ':content-type': { type: 'string', value: 'application/json' } },
    body: fromUtf8(JSON.stringify(body)),
  });
const tokens = (s: string) => Math.ceil(s.length / 4);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ConverseBody {
  system?: ({ text?: string } | { cachePoint?: unknown })[];
  messages?: { role: string; content: { text?: string }[] }[];
  inferenceConfig?: { maxTokens?: number };
}

/** The answer: the first passage's sentences up to about `words` words; a handoff line without passages. */
function answerText(body: ConverseBody, words: number): string {
  const last = body.messages?.at(-1)?.content.map((c) => c.text ?? '').join('') ?? '';
  const passage = /<passage\s[^>]*>\n([\s\S]*?)\n<\/passage>/.exec(last)?.[1];
  if (!passage) return 'I do not have that information; a member of the team can help.';
  const sentences = passage.match(/[^.!?]+[.!?]+/g) ?? [passage];
  let out = '';
  for (const s of sentences) {
    if (out && out.split(/\s+/).length + s.split(/\s+/).length > words) break;
    out += s;
  }
  return out.trim();
}

export async function startBedrockStub(o: { tierOf: (modelId: string) => Tier; seed: number; dist?: StubDistributions; keepRequests?: boolean }): Promise<BedrockStub> {
  const dist = o.dist ?? DEFAULT_DISTRIBUTIONS;
  const random = rng(o.seed ^ 0x5eed);
  const calls: StubCall[] = [];
  const requests: StubRequest[] = [];
  const cachedUntil = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const m = /^\/model\/([^/]+)\/converse-stream$/.exec(req.url ?? '');
      let body: ConverseBody;
      try {
        if (!m) throw new Error(`unknown path ${req.url}`);
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch (e) {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException' });
        res.end(JSON.stringify({ message: (e as Error).message }));
        return;
      }
      const modelId = decodeURIComponent(m[1]);
      const tier = o.tierOf(modelId);
      const system = (body.system ?? []).map((b) => ('text' in b ? (b.text ?? '') : '')).join('');
      const cachePoint = (body.system ?? []).some((b) => 'cachePoint' in b);
      const rest = (body.messages ?? []).flatMap((x) => x.content.map((c) => c.text ?? '')).join('\n');
      if (o.keepRequests) requests.push({ modelId, system, messages: (body.messages ?? []).map((x) => ({ role: x.role, text: x.content.map((c) => c.text ?? '').join('') })) });
      const systemTokens = tokens(system);
      const promptTokens = systemTokens + tokens(rest);
      let cacheRead = 0;
      let cacheWrite = 0;
      if (cachePoint && systemTokens >= dist.minCacheTokens[tier]) {
        const key = `${modelId}|${system}`;
        if ((cachedUntil.get(key) ?? 0) > Date.now()) cacheRead = systemTokens;
        else cacheWrite = systemTokens;
        cachedUntil.set(key, Date.now() + dist.cacheTtlMs);
      }
      const maxTokens = body.inferenceConfig?.maxTokens ?? 1024;
      const outputTokens = Math.max(8, Math.min(maxTokens, Math.round(logNormal(dist.outputTokens.median, dist.outputTokens.sigma, random))));
      const firstMs = logNormal(dist.firstTokenMs.median, dist.firstTokenMs.sigma, random);
      const call: StubCall = { tier, promptTokens, inputTokens: promptTokens - cacheRead - cacheWrite, outputTokens, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite };
      calls.push(call);

      const text = answerText(body, Math.round(outputTokens * 0.75));
      const parts = text.match(/\S+\s*/g) ?? [text];
      const pieces = Math.min(6, parts.length);
      const per = Math.ceil(parts.length / pieces);
      const gap = (outputTokens / dist.tokensPerSecond) * 1000 / pieces;
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `stub-${calls.length}` });
      res.write(frame('messageStart', { role: 'assistant' }));
      await sleep(firstMs);
      for (let i = 0; i < pieces; i++) {
        if (i > 0) await sleep(gap);
        res.write(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: parts.slice(i * per, (i + 1) * per).join('') } }));
      }
      res.write(frame('contentBlockStop', { contentBlockIndex: 0 }));
      res.write(frame('messageStop', { stopReason: 'end_turn' }));
      res.write(
        frame('metadata', {
          usage: { inputTokens: call.inputTokens, outputTokens, totalTokens: promptTokens + outputTokens, cacheReadInputTokens: cacheRead, cacheWriteInputTokens: cacheWrite },
          metrics: { latencyMs: Math.round(firstMs + gap * pieces) },
        }),
      );
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, calls, requests, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
