/** What every generation backend (Bedrock, OpenAI-compatible, extractive) implements. */
export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export type LlmPriority = 'high' | 'normal' | 'low';

export interface LlmRequest {
  /** System prompt; backends that support prompt caching put a cache point after it. */
  system: string;
  /**
   * The caller's own instructions (an OpenAI client's system messages), shown after the system
   * prompt (and its cache point), framed as adding to it (request-messages.ts `callerInstructions`).
   */
  instructions?: string;
  messages: LlmMessage[];
  maxTokens: number;
  temperature?: number;
  /** 'small' for simple or low-priority messages, 'large' for complex ones. */
  tier: 'small' | 'large';
  signal?: AbortSignal;
  /**
   * Passages the answer must be grounded in (the extractive backend answers from them).
   * The Bedrock and OpenAI-compatible backends render them into the last user turn, after the
   * cached system prompt, so do not repeat them in `system`.
   */
  context?: { id: string; title?: string; text: string }[];
  /**
   * The last message resolved against the conversation, when it was a follow-up (text and
   * entities), e.g. "and volume 2?" → "how much is berserk deluxe edition volume 2"; `messages`
   * still ends with the words the user typed. Chat models read the history; the offline generator
   * answers this.
   */
  resolved?: { text: string; carried?: string[]; entities?: { kind: string; value: string }[]; confidence?: number };
  /** Scheduling class for `PriorityQueueBackend` (purchase flow high, chitchat low); default normal. */
  priority?: LlmPriority;
  /** The message's intent and its confidence, as classified (the offline generator answers by them). */
  intent?: string;
  intentConfidence?: number;
  /**
   * The answer so far, when this request continues one another generator (or region) began:
   * chat backends send it as a final assistant message to be continued; the stream may repeat its
   * end, which the caller removes (llm/seam.ts).
   */
  prefill?: string;
}

export type LlmChunk =
  | { type: 'delta'; text: string }
  | { type: 'usage'; inputTokens: number; outputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number }
  /**
   * `unsupported`: the generator could not ground an answer (a decline, a handoff, "not found"), so
   * it must not be cached. `passages`: store records the generator looked up itself (the offline
   * generator's catalog and policy lookups); they join the grounding and the cited sources.
   */
  | { type: 'meta'; model: string; region?: string; unsupported?: boolean; passages?: { id: string; title?: string; text: string }[] }
  /**
   * The target `from` failed mid-answer (error code `error`); the answer continues on the next
   * target. `unreported`: the failed attempt was cut before it reported its usage, so its tokens
   * are estimated by the caller from these lengths (the prefill it was given, the text it produced).
   */
  | { type: 'continued'; from: string; error: LlmErrorCode; unreported?: { prefillChars: number; outputChars: number } };

/** USD per 1,000 tokens by tier, for the cost estimate recorded with usage. */
export type LlmPricing = Record<LlmRequest['tier'], { in: number; out: number }>;

export interface LlmBackend {
  /** e.g. "bedrock", "openai", "extractive" */
  readonly name: string;
  /** What its tokens cost (none: the cost is not estimated). */
  readonly pricing?: LlmPricing;
  generate(req: LlmRequest): AsyncIterable<LlmChunk>;
}

export type LlmErrorCode = 'THROTTLED' | 'TIMEOUT' | 'UNAVAILABLE' | 'BAD_REQUEST' | 'CIRCUIT_OPEN' | 'ABORTED';

/**
 * Thrown by backends; `retryable` is true for throttling and 5xx, false for 4xx validation errors.
 * `ABORTED` means the caller's own signal fired. `status` is the upstream HTTP status when there
 * was one; `retryAfterMs` is the upstream's Retry-After hint.
 */
export class LlmError extends Error {
  readonly status?: number;
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    readonly code: LlmErrorCode,
    readonly retryable: boolean,
    options: { cause?: unknown; status?: number; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
