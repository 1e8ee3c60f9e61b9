/**
 * One `/v1/classify` result that explains itself: the prediction, the path it would take, the
 * thresholds it was compared with, for a cacheable intent the cache key frame it would be looked
 * up under, and with `explain` the words that drove the intent. Never looks the cache up.
 */
import type { DecisionExplanation } from '../../../shared/api/chat.ts';
import type { KeyFrame } from '../../../shared/cache/key-frame.ts';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { tokenContributions } from '../../../shared/models/token-contributions.ts';
import { explainPrediction } from '../../../shared/routing/explain.ts';
import { reusesAnswers, routeFor, type Path } from '../../../shared/routing/route-for.ts';
import type { EdgeDeps } from '../edge-deps.ts';

export interface ClassifyResult {
  intent: string;
  confidence: number;
  topLabel: string;
  confident: boolean;
  path: Path;
  decision: DecisionExplanation;
  frame?: Omit<KeyFrame, 'cues'> & { cues?: string[] };
}

export async function classifyResult(d: EdgeDeps, text: string, p: IntentPrediction, explain: boolean): Promise<ClassifyResult> {
  if (!d.models.ok) throw new Error('classifyResult needs loaded models');
  const clf = d.models.models.classifier;
  // An `order` intent's path depends on whether the text names an order id (the entity extractor reads the pack's id shapes).
  const path = routeFor(d.routes, p.intent, p.confident, d.entities.extract(text));
  const decision = explainPrediction(p, clf.calibration);
  if (explain) decision.tokens = await tokenContributions(clf, text, p.topLabel);
  const cacheable = reusesAnswers(d.routes.intents[p.intent]?.route) && d.cache;
  const frame = cacheable ? d.cache!.frame(text, p.intent, d.entities.extract(text)) : undefined;
  return { intent: p.intent, confidence: p.confidence, topLabel: p.topLabel, confident: p.confident, path, decision, ...(frame ? { frame } : {}) };
}
