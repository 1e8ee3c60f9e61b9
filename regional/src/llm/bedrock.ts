/**
 * Generation on AWS Bedrock with the Converse streaming API.
 *
 * - model by tier: `models.small` / `models.large` (inference-profile ids work too)
 * - the system prompt is followed by a prompt-cache point, so the static instructions are billed
 *   at the cache-read rate after the first call; passages go in the user turn (request-messages.ts)
 * - text deltas are yielded as each contentBlockDelta arrives; usage comes from the metadata event
 * - regions are tried in order: retries with full-jitter back-off on throttling/5xx before the
 *   first token, then failover to the next region; one circuit breaker per (region, model)
 * - a region that fails mid-answer is not retried: the next region continues the answer, given
 *   the text so far as a final assistant message (Converse prefill; resilient-stream.ts)
 */
import { ConverseStreamCommand, type BedrockRuntimeClient, type ConverseStreamCommandInput } from '@aws-sdk/client-bedrock-runtime';
import type { CircuitBreakerRegistry } from './circuit-breaker.ts';
import { classifyAwsError, createBedrockClient, type AwsCredentials } from './bedrock-client.ts';
import { callerInstructions, continuing, conversationWithContext, validateLlmRequest } from './request-messages.ts';
import {
  breakerRegistry,
  DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
  DEFAULT_TOTAL_TIMEOUT_MS,
  resilienceOptions,
  resilientStream,
  type ResilienceSettings,
  type StreamTarget,
} from './resilient-stream.ts';
import { LlmError, type LlmBackend, type LlmChunk, type LlmPricing, type LlmRequest } from './types.ts';

/** Retries, back-off, timeouts and breakers as in ResilienceSettings, per region. */
export interface BedrockBackendConfig extends ResilienceSettings {
  /** Regions in failover order, e.g. ["eu-west-1", "eu-central-1"]. */
  regions: string[];
  models: { small: string; large: string };
  credentials?: AwsCredentials;
  /** Endpoint override per region (VPC endpoints); default is the public regional endpoint. */
  endpoint?: (region: string) => string | undefined;
  /** Default 2 s. */
  connectionTimeoutMs?: number;
  /** Prompt-cache point after the system prompt. Default true (turn off for models without caching). */
  cacheSystemPrompt?: boolean;
  /** Prebuilt clients by region (otherwise built with createBedrockClient). */
  clients?: Record<string, BedrockRuntimeClient>;
  /** What the two models cost, for the usage cost estimate. */
  pricing?: LlmPricing;
}

export class BedrockBackend implements LlmBackend {
  readonly name = 'bedrock';
  readonly breakers: CircuitBreakerRegistry;
  readonly pricing?: LlmPricing;
  private readonly clients = new Map<string, BedrockRuntimeClient>();

  constructor(private readonly config: BedrockBackendConfig) {
    if (!config.regions?.length) throw new LlmError('BedrockBackend needs at least one region', 'BAD_REQUEST', false);
    if (!config.models?.small || !config.models?.large) throw new LlmError('BedrockBackend needs models.small and models.large', 'BAD_REQUEST', false);
    this.breakers = breakerRegistry(config);
    this.pricing = config.pricing;
    for (const region of config.regions) {
      this.clients.set(
        region,
        config.clients?.[region] ??
          createBedrockClient({
            region,
            credentials: config.credentials,
            endpoint: config.endpoint?.(region),
            connectionTimeoutMs: config.connectionTimeoutMs,
            headersTimeoutMs: config.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
            socketTimeoutMs: config.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
          }),
      );
    }
  }

  generate(req: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(req);
  }

  private async *run(req: LlmRequest): AsyncGenerator<LlmChunk> {
    validateLlmRequest(req);
    const modelId = this.config.models[req.tier];
    const targets: StreamTarget[] = this.config.regions.map((region) => ({
      key: `bedrock|${region}|${modelId}`,
      model: modelId,
      region,
      open: (signal, prefill) => this.attempt(this.clients.get(region)!, this.input(req, modelId, prefill), signal),
    }));
    yield* resilientStream(targets, resilienceOptions(this.config, this.breakers, classifyAwsError), req.signal, req.prefill);
  }

  private input(req: LlmRequest, modelId: string, prefill: string | undefined): ConverseStreamCommandInput {
    const system: NonNullable<ConverseStreamCommandInput['system']> = [];
    if (req.system.trim()) {
      system.push({ text: req.system });
      if (this.config.cacheSystemPrompt !== false) system.push({ cachePoint: { type: 'default' } });
    }
    // After the cache point: the operator's prompt stays one cached prefix whatever a caller adds.
    const added = callerInstructions(req);
    if (added) system.push({ text: added });
    return {
      modelId,
      ...(system.length ? { system } : {}),
      messages: continuing(conversationWithContext(req), prefill, 'prefill').map((m) => ({ role: m.role, content: [{ text: m.content }] })),
      inferenceConfig: { maxTokens: req.maxTokens, ...(req.temperature !== undefined ? { temperature: req.temperature } : {}) },
    };
  }

  private async *attempt(client: BedrockRuntimeClient, input: ConverseStreamCommandInput, signal: AbortSignal): AsyncGenerator<LlmChunk> {
    const res = await client.send(new ConverseStreamCommand(input), { abortSignal: signal });
    if (!res.stream) throw new LlmError('Bedrock returned no event stream', 'UNAVAILABLE', true);
    for await (const ev of res.stream) {
      const text = ev.contentBlockDelta?.delta?.text;
      if (text) yield { type: 'delta', text };
      const usage = ev.metadata?.usage;
      if (usage) {
        yield {
          type: 'usage',
          inputTokens: usage.inputTokens ?? 0,
          outputTokens: usage.outputTokens ?? 0,
          ...(usage.cacheReadInputTokens !== undefined ? { cacheReadTokens: usage.cacheReadInputTokens } : {}),
          ...(usage.cacheWriteInputTokens !== undefined ? { cacheWriteTokens: usage.cacheWriteInputTokens } : {}),
        };
      }
    }
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
  }
}
