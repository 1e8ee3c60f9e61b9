/**
 * The explanation a routing decision carries (route events, /v1/classify, the widget's debug
 * panel): the classifier's confidence next to the thresholds it was compared with, and a cache
 * lookup's nearest similarity next to the hit threshold and the key frame. Zod-free.
 */
import type { CacheDecision, DecisionExplanation } from '../api/chat.ts';
import type { CacheLookup } from '../cache/semantic-cache.ts';
import { routeThresholdFor, type ClassifierCalibration, type IntentPrediction } from '../models/intent-classifier.ts';

export function explainPrediction(p: IntentPrediction, c: ClassifierCalibration): DecisionExplanation {
  return {
    confidence: round(p.confidence),
    // The threshold this intent was compared with: its own (tuned routing config) or the global one.
    routeThreshold: round(routeThresholdFor(c, p.intent)),
    ...(c.intentThresholds?.[p.intent] !== undefined ? { routeThresholdFrom: 'intent' as const } : { routeThresholdFrom: 'global' as const }),
    ...(c.routingConfig ? { routingConfig: c.routingConfig } : {}),
    oosThreshold: round(c.oosThreshold),
    ...(c.declineThreshold !== undefined ? { declineThreshold: round(c.declineThreshold) } : {}),
    confident: p.confident,
  };
}

export function explainLookup(l: CacheLookup): CacheDecision {
  const { cues, ...frame } = l.frame;
  return {
    hit: !!l.hit,
    similarity: l.similarity === null ? null : round(l.similarity),
    threshold: round(l.threshold),
    frame: { intent: frame.intent, aspect: frame.aspect, qualifier: frame.qualifier, entities: frame.entities },
    ...(cues?.length ? { cues } : {}),
  };
}

export function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
