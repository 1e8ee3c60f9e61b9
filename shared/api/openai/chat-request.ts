/**
 * OpenAI Chat Completions request → Switchyard's ChatRequest, as tables: what each OpenAI parameter
 * becomes, and which parameters are refused (400 naming the `param`) because no path of the
 * service can honour them. Nothing is silently dropped: an unknown parameter is refused too.
 *
 * Messages: the last one must be the user's (it is the `message` that is classified and answered);
 * earlier user/assistant turns become `history`, the newest MAX_HISTORY_TURNS of them. System and
 * developer messages, wherever they stand, become the caller's `instructions` (joined in order):
 * the LLM is shown them after the operator's system prompt, which they add to and never replace;
 * template and cache answers are the store's own and do not follow them, and an answer generated
 * under them is not shared through the cache.
 */
import { z } from 'zod';
import { MAX_HISTORY_TURNS, MAX_INSTRUCTIONS_CHARS, MAX_MESSAGE_CHARS, type ChatRequest, type HistoryTurn } from '../chat.ts';
import { validate } from '../errors.ts';
import { paramError } from './errors.ts';

const Content = z.union([
  z.string(),
  z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()).min(1),
]);

const Message = z
  .object({
    role: z.string(),
    content: Content.nullable().optional(),
    name: z.string().max(64).optional(),
  })
  .passthrough();

const Honoured = z.object({
  model: z.string().min(1).max(256),
  messages: z.array(Message).min(1, 'messages must not be empty').max(256),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).strict().nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  user: z.string().min(1).max(128).optional(),
  metadata: z.record(z.string().max(64), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, 'metadata holds at most 16 keys').nullable().optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullable().optional(),
  /** Only means something with tools, which are refused; accepted as is. */
  parallel_tool_calls: z.boolean().nullable().optional(),
});
export type OpenAiChatRequest = z.infer<typeof Honoured>;

const isNeutral = (neutral: unknown) => (v: unknown) => JSON.stringify(v) === JSON.stringify(neutral);
const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/** Parameters no path can honour, each with the value that asks for nothing (null/absent always does). */
export const REFUSED_PARAMS: Record<string, { neutral: (v: unknown) => boolean; why: string }> = {
  tools: { neutral: isEmpty, why: 'tool calling is not supported' },
  tool_choice: { neutral: isNeutral('none'), why: 'tool calling is not supported' },
  functions: { neutral: isEmpty, why: 'function calling is not supported' },
  function_call: { neutral: isNeutral('none'), why: 'function calling is not supported' },
  n: { neutral: isNeutral(1), why: 'only one choice (n = 1) is generated' },
  logprobs: { neutral: isNeutral(false), why: 'log probabilities are not returned' },
  top_logprobs: { neutral: isNeutral(0), why: 'log probabilities are not returned' },
  response_format: { neutral: (v) => (v as { type?: string })?.type === 'text', why: 'only text responses are produced (no JSON mode or schema)' },
  logit_bias: { neutral: isEmpty, why: 'logit bias is not supported' },
  top_p: { neutral: isNeutral(1), why: 'nucleus sampling is the operator\'s LLM configuration' },
  frequency_penalty: { neutral: isNeutral(0), why: 'penalties are the operator\'s LLM configuration' },
  presence_penalty: { neutral: isNeutral(0), why: 'penalties are the operator\'s LLM configuration' },
  seed: { neutral: () => false, why: 'seeded sampling is not supported' },
  audio: { neutral: () => false, why: 'audio output is not supported' },
  modalities: { neutral: isNeutral(['text']), why: 'only text output is supported' },
  prediction: { neutral: () => false, why: 'predicted outputs are not supported' },
  store: { neutral: isNeutral(false), why: 'completions are not stored for later retrieval' },
  service_tier: { neutral: (v) => v === 'auto' || v === 'default', why: 'there is one service tier' },
  reasoning_effort: { neutral: () => false, why: 'reasoning models are not served' },
  verbosity: { neutral: () => false, why: 'verbosity is the operator\'s LLM configuration' },
  web_search_options: { neutral: () => false, why: 'web search is not supported' },
};

/** What the response side needs to know about the request. */
export interface CompletionOptions {
  requestedModel: string;
  stream: boolean;
  includeUsage: boolean;
  /** Output budget in tokens (max_completion_tokens, else max_tokens). */
  maxTokens?: number;
  stop: string[];
  metadata?: Record<string, string>;
}

export interface MappedChat {
  chat: ChatRequest;
  options: CompletionOptions;
}

/** Validates an OpenAI chat completions body and maps it; throws a 400 ApiError naming the param. */
export function mapChatCompletionRequest(raw: unknown, newSessionId: () => string): MappedChat {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw paramError('body', 'the body must be a JSON object');
  const known = new Set(Object.keys(Honoured.shape));
  for (const [k, v] of Object.entries(raw)) {
    if (v === null || v === undefined || known.has(k)) continue;
    const refused = REFUSED_PARAMS[k];
    if (!refused) throw paramError(k, `unsupported parameter: ${k}`, 'unsupported_parameter');
    if (!refused.neutral(v)) throw paramError(k, `${k} is not supported: ${refused.why}`, 'unsupported_value');
  }
  const body = validate(Honoured, raw);
  const { message, history, instructions } = mapMessages(body.messages);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const generation = {
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(instructions ? { instructions } : {}),
  };
  const sessionId = body.metadata?.session_id ?? body.user ?? newSessionId();
  const chat: ChatRequest = {
    message,
    sessionId,
    ...(body.user ? { userId: body.user } : {}),
    // Always set, even empty: the messages are the whole conversation, so no stored session is read.
    history,
    ...(Object.keys(generation).length ? { generation } : {}),
  };
  return {
    chat,
    options: {
      requestedModel: body.model,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      maxTokens,
      stop: body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
      ...(body.metadata ? { metadata: body.metadata } : {}),
    },
  };
}

/** The roles a conversation may hold, and what each becomes (a turn, the caller's instructions, or refused with the reason). */
const ROLE_MAP: Record<string, HistoryTurn['role'] | 'instructions' | { refused: string }> = {
  user: 'user',
  assistant: 'assistant',
  system: 'instructions',
  developer: 'instructions',
  tool: { refused: 'tool messages are not supported: tool calling is not supported' },
  function: { refused: 'function messages are not supported: function calling is not supported' },
};

function mapMessages(messages: z.infer<typeof Message>[]): { message: string; history: HistoryTurn[]; instructions?: string } {
  const turns: HistoryTurn[] = [];
  const instructions: string[] = [];
  messages.forEach((m, i) => {
    const role = ROLE_MAP[m.role];
    if (role === undefined) throw paramError(`messages[${i}].role`, `unknown role ${JSON.stringify(m.role)}`);
    if (typeof role === 'object') throw paramError(`messages[${i}].role`, role.refused, 'unsupported_value');
    for (const k of ['tool_calls', 'function_call', 'audio']) {
      const v = (m as Record<string, unknown>)[k];
      if (v != null && !isEmpty(v)) throw paramError(`messages[${i}].${k}`, `${k} in messages is not supported`, 'unsupported_value');
    }
    const text = contentText(m.content, i).trim();
    if (!text) throw paramError(`messages[${i}].content`, 'a message must have non-empty text content');
    if (role === 'instructions') return void instructions.push(text);
    if (text.length > MAX_MESSAGE_CHARS) throw paramError(`messages[${i}].content`, `a message is over ${MAX_MESSAGE_CHARS} characters`);
    turns.push({ role, content: text });
  });
  const last = turns.at(-1);
  if (last?.role !== 'user') throw paramError('messages', 'the last message must be the user\'s: it is the one answered');
  const joined = instructions.join('\n\n');
  if (joined.length > MAX_INSTRUCTIONS_CHARS) throw paramError('messages', `system and developer messages hold over ${MAX_INSTRUCTIONS_CHARS} characters in all`);
  return { message: last.content, history: turns.slice(0, -1).slice(-MAX_HISTORY_TURNS), ...(joined ? { instructions: joined } : {}) };
}

function contentText(content: z.infer<typeof Content> | null | undefined, i: number): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((p, j) => {
      if (p.type !== 'text' || typeof p.text !== 'string') throw paramError(`messages[${i}].content[${j}].type`, `content parts of type ${JSON.stringify(p.type)} are not supported (text only)`, 'unsupported_value');
      return p.text;
    })
    .join('\n');
}
