/**
 * The LLM scheduling class of a message by its intent, the same at the edge and in the region:
 * the domain marks each intent (domain.json `llmPriority`), e.g. a store's purchase flow `high`
 * and its chitchat and out-of-scope `low`, so a flood of small talk never starves someone trying
 * to buy (regional/src/llm/priority-queue.ts). An intent the domain does not mark is `normal`.
 */
export type LlmPriorityClass = 'high' | 'normal' | 'low';

/** The domain's intents with their marks (domain.json `intents`, or a parsed routes file's). */
export type IntentPriorities = Readonly<Record<string, { llmPriority?: LlmPriorityClass }>>;

export function llmPriorityFor(intent: string | undefined, intents: IntentPriorities): LlmPriorityClass {
  if (!intent || !Object.hasOwn(intents, intent)) return 'normal';
  return intents[intent].llmPriority ?? 'normal';
}
