/**
 * The system prompt, the tier and the output budget of a generation, by intent: the served domain
 * pack's `assistant` (domain.json + its instructions file, shared/domain/assistant-prompt.ts), so
 * each pack's assistant gets its own instructions on every LLM backend. A registered LLM
 * configuration (ops/llm-config.ts) is another version of these settings, rolled out like a model.
 */
import type { AssistantPrompt } from '../../../shared/domain/assistant-prompt.ts';
import { domainPack } from '../domain/pack-files.ts';
import type { LlmRequest } from '../llm/types.ts';

/** A message that needs the large model whatever its intent: long, several questions, a comparison or a why. */
const isComplex = (message: string) => message.length > 280 || (message.match(/\?/g)?.length ?? 0) > 1 || /\b(compare|difference|versus|vs\.?|why)\b/i.test(message);

/**
 * How a generation is set up: system prompt, output budget and tier by intent, temperature.
 */
export interface LlmSettings {
  /** "builtin" (the pack's own), or the registered configuration's version. */
  version: string;
  system: string;
  maxTokensFor(intent: string | undefined): number;
  tierFor(intent: string | undefined, message: string, priority: string | undefined): LlmRequest['tier'];
  temperature?: number;
}

/** The settings a pack's assistant gives: small fast model for simple or low-priority messages, the large one for its large-tier intents and complex messages. */
export function assistantSettings(a: AssistantPrompt): LlmSettings {
  const large = new Set(a.largeTier);
  return {
    version: 'builtin',
    system: a.instructions,
    maxTokensFor: (intent) => (intent && a.maxTokens[intent]) || a.defaultMaxTokens,
    tierFor: (intent, message, priority) => {
      if (priority === 'low') return 'small';
      if (intent && large.has(intent)) return 'large';
      return isComplex(message) || !intent || intent === 'oos' ? 'large' : 'small';
    },
  };
}

const byPack = new Map<string, LlmSettings>();

/** The built-in settings of the pack in `dir` (SWITCHYARD_DOMAIN; default the demo store), made once per pack. */
export function builtinLlmSettings(dir?: string): LlmSettings {
  const key = dir ?? '';
  let s = byPack.get(key);
  if (!s) {
    s = assistantSettings(domainPack(dir).assistant);
    byPack.set(key, s);
  }
  return s;
}
