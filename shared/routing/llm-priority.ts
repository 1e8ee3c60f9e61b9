/**
 * The LLM scheduling class of a message by its intent, the same at the edge and in the region:
 * the purchase flow goes first, chitchat and out-of-scope last, so a flood of small talk never
 * starves someone trying to buy (regional/src/llm/priority-queue.ts).
 */
export type LlmPriorityClass = 'high' | 'normal' | 'low';

const HIGH = new Set(['purchase_help', 'order_status', 'price_availability']);
const LOW = new Set(['greeting_chitchat', 'oos']);

export function llmPriorityFor(intent: string | undefined): LlmPriorityClass {
  if (!intent) return 'normal';
  return HIGH.has(intent) ? 'high' : LOW.has(intent) ? 'low' : 'normal';
}
