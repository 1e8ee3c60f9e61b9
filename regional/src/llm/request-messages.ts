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
