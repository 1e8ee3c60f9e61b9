/**
 * The conversation a generator is shown: the session's last turns within a token budget (the
 * oldest dropped first, whole turns only), repaired into the shape chat models accept — it starts
 * with the user and alternates, consecutive turns of one role merged. Pure; reads no store.
 * Refuses nothing: a turn that alone is over the budget is dropped like any older one.
 */
import type { LlmMessage } from '../llm/types.ts';

/** About 4 characters per token, as LLM tokenizers average on English text. */
export const estimateTokens = (s: string) => Math.ceil(s.length / 4);

/** The newest turns whose estimated tokens fit `budget`, oldest first; stops at the first that does not fit. */
export function withinBudget(turns: LlmMessage[], budget: number): LlmMessage[] {
  let used = 0;
  let from = turns.length;
  while (from > 0) {
    const n = estimateTokens(turns[from - 1].content) + 4; // role and framing
    if (used + n > budget) break;
    used += n;
    from--;
  }
  return turns.slice(from);
}

/** Starts with a user turn (leading answers go) and alternates (same-role neighbours merged). */
export function alternating(turns: LlmMessage[]): LlmMessage[] {
  const out: LlmMessage[] = [];
  for (const t of turns) {
    const content = t.content.trim();
    if (!content) continue;
    if (out.length === 0 && t.role !== 'user') continue;
    const prev = out.at(-1);
    if (prev && prev.role === t.role) prev.content += `\n\n${content}`;
    else out.push({ role: t.role, content });
  }
  return out;
}

/** The history to show with `message`: within budget, then repaired, with the message last. */
export function conversationFor(history: LlmMessage[], message: string, budget: number): LlmMessage[] {
  return alternating([...withinBudget(history, budget), { role: 'user', content: message }]);
}
