/**
 * Checks an LlmRequest and builds the conversation a chat model sees.
 *
 * Retrieved passages go into the last user turn, not the system prompt: the system prompt stays
 * byte-identical across requests so Bedrock's prompt cache (and vLLM's prefix cache) can reuse it,
 * while the passages change with every question.
 */
import { LlmError, type LlmMessage, type LlmRequest } from './types.ts';

export function validateLlmRequest(req: LlmRequest): void {
  const bad = (m: string) => new LlmError(m, 'BAD_REQUEST', false);
  if (!req || typeof req !== 'object') throw bad('request must be an object');
  if (req.tier !== 'small' && req.tier !== 'large') throw bad(`tier must be "small" or "large", got ${JSON.stringify(req.tier)}`);
  if (!Number.isInteger(req.maxTokens) || req.maxTokens < 1) throw bad('maxTokens must be a positive integer');
  if (typeof req.system !== 'string') throw bad('system must be a string');
  if (req.instructions !== undefined && typeof req.instructions !== 'string') throw bad('instructions must be a string');
  if (!Array.isArray(req.messages) || req.messages.length === 0) throw bad('messages must be a non-empty array');
  for (const m of req.messages) {
    if (m.role !== 'user' && m.role !== 'assistant') throw bad(`message role must be user or assistant, got ${JSON.stringify(m.role)}`);
    if (typeof m.content !== 'string' || m.content.trim() === '') throw bad('message content must be a non-empty string');
  }
  if (req.messages[0].role !== 'user') throw bad('the first message must be from the user');
  if (req.messages[req.messages.length - 1].role !== 'user') throw bad('the last message must be from the user');
  if (req.temperature !== undefined && !(req.temperature >= 0 && req.temperature <= 2)) throw bad('temperature must be in [0, 2]');
}

/** The messages with consecutive same-role turns merged and the passages put in the last user turn. */
export function conversationWithContext(req: LlmRequest): LlmMessage[] {
  const merged: LlmMessage[] = [];
  for (const m of req.messages) {
    const prev = merged[merged.length - 1];
    if (prev && prev.role === m.role) prev.content += `\n\n${m.content}`;
    else merged.push({ role: m.role, content: m.content });
  }
  if (req.context?.length) {
    const last = merged[merged.length - 1];
    last.content = `${renderPassages(req.context)}\n\n${last.content}`;
  }
  return merged;
}

export function renderPassages(context: NonNullable<LlmRequest['context']>): string {
  const attr = (s: string) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = context
    .map((p) => `<passage id="${attr(p.id)}"${p.title ? ` title="${attr(p.title)}"` : ''}>\n${p.text}\n</passage>`)
    .join('\n');
  return `<passages>\n${body}\n</passages>`;
}

/**
 * What a generator told to continue in words (no native prefill) is asked after its cut answer.
 * Whatever it repeats anyway is removed at the seam (seam.ts).
 */
export const CONTINUE_INSTRUCTION =
  'Your previous message was cut off. Continue it exactly from where it stops: write only the words that come next, without repeating any of it and without any preamble.';

/**
 * The conversation with the answer so far as a final assistant message (trailing whitespace
 * removed: Bedrock refuses a final assistant turn that ends with it; the seam restores the space),
 * followed by CONTINUE_INSTRUCTION when the server cannot continue a final message itself.
 */
export function continuing<M extends { role: string; content: string }>(messages: M[], prefill: string | undefined, how: 'prefill' | 'instruction'): (M | LlmMessage)[] {
  const text = prefill?.trimEnd();
  if (!text) return messages;
  const out: (M | LlmMessage)[] = [...messages, { role: 'assistant', content: text }];
  return how === 'instruction' ? [...out, { role: 'user', content: CONTINUE_INSTRUCTION }] : out;
}

/**
 * The caller's instructions as the model is shown them, after the operator's system prompt: they
 * add to it and do not replace it. None when the caller gave none.
 */
export function callerInstructions(req: LlmRequest): string | undefined {
  const text = req.instructions?.trim();
  return text ? `Instructions from the application calling this assistant (follow them where they do not conflict with the instructions above):\n${text}` : undefined;
}
