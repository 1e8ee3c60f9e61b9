/**
 * A message's intent and path in its conversation, one implementation for the edge and the
 * widget: classify the resolved message, refuse a guess on a message with no word the model
 * knows (a script its vocabulary lacks: out of scope, unsure, to the LLM), settle an unsure
 * guess by the conversation (intent-in-context.ts), then route (route-for.ts). The device and
 * the edge therefore answer a follow-up the same way, and the device can answer one itself.
 * Refuses nothing; a classifier that throws throws to the caller, which degrades.
 */
import { OOS, type IntentPrediction } from '../models/intent-classifier.ts';
import type { IntentRoutes } from '../routing/intent-routes.ts';
import { routeFor, type Path } from '../routing/route-for.ts';
import type { FollowUpResolution } from './follow-up.ts';
import type { DialogueEntity } from './dialogue-entities.ts';
import { intentInContext } from './intent-in-context.ts';
import { withoutCourtesyLead } from './courtesy.ts';

/** What is needed of a classifier: the edge's metered one and the device's both fit. */
export interface ContextClassifier {
  classify(texts: string[]): Promise<IntentPrediction[]>;
  /** Whether the text has a word the model's vocabulary knows. */
  knowsAWord(text: string): boolean;
}

/** The domain's conversation rules (a DialogueEntities carries them). */
export interface ConversationRules {
  courtesyIntent?: string;
  cueIntent?(text: string, entities: readonly DialogueEntity[]): string | undefined;
  decisiveIntent?(text: string, entities: readonly DialogueEntity[]): string | undefined;
}

export interface InContextDecision {
  prediction: IntentPrediction;
  path: Path;
  /** What was taken from earlier turns: the resolution's, plus "intent:<name>" when the intent was. */
  carried: string[];
  /** The message had no word the model knows: its guess was set aside. */
  outOfVocabulary: boolean;
}

export async function classifyInContext(
  classifier: ContextClassifier,
  message: string,
  resolution: FollowUpResolution,
  routes: IntentRoutes,
  domain: ConversationRules,
): Promise<InContextDecision> {
  const [raw] = await classifier.classify([withoutCourtesyLead(resolution.text)]);
  const carried = [...resolution.carried];
  if (!classifier.knowsAWord(message)) return { prediction: { ...raw, intent: OOS, confident: false }, path: 'llm', carried, outOfVocabulary: true };
  const prediction = settledInContext(raw, message, resolution, routes, domain, carried);
  return { prediction, path: routeFor(routes, prediction.intent, prediction.confident, resolution.entities), carried, outOfVocabulary: false };
}

/** A guess read in its conversation by the domain's rules (intent-in-context.ts); an intent an earlier turn lent is added to `carried`. Also the region's, for a message it resolved itself. */
export function settledInContext(raw: IntentPrediction, message: string, resolution: FollowUpResolution, routes: IntentRoutes, domain: ConversationRules, carried: string[]): IntentPrediction {
  return intentInContext(raw, { message, resolution, routes, courtesyIntent: domain.courtesyIntent, cueIntent: (t, e) => domain.cueIntent?.(t, e), decisiveIntent: (t, e) => domain.decisiveIntent?.(t, e) }, carried);
}
