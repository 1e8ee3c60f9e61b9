/**
 * A tuned routing config (`npm run tune -- --write`, kind `routing-config`): per-intent routing
 * thresholds, the decline threshold of `oos`, and per-intent cache hit thresholds, for one
 * classifier version. Applied on top of the classifier's own calibration by every tier that
 * classifies (edge, region, widget): an intent the config has no threshold for keeps the global
 * one. A config tuned for another classifier version is refused (its thresholds describe another
 * model's confidences): the classifier's own calibration serves. Zod-free (the widget bundles it);
 * the file's schema is routing-config-schema.ts.
 */
import { decideIntent, type ClassifierCalibration, type IntentPrediction } from '../models/intent-classifier.ts';
import { manifestOf } from '../models/manifest.ts';
import { stableJson } from '../models/stable-json.ts';

export const ROUTING_CONFIG_FILE = 'routing-config.json';

/** The registry name of a domain's routing configs: `<domain>-routing-config`. */
export const routingConfigName = (domain: string) => `${domain}-routing-config`;

export interface RoutingConfig {
  /** name@version of the classifier whose confidences the thresholds were tuned on. */
  classifier: string;
  /** name@version of the embedder the cache thresholds were tuned on. */
  embedder: string;
  routeThresholds: Record<string, number>;
  /** At or above, a top label of `oos` is declined with no LLM (absent: the classifier's own). */
  declineThreshold?: number;
  cacheHitThresholds: Record<string, number>;
  chanceSimilarity?: number;
  evidence?: unknown;
}

/** A routing config and the version it is registered as. */
export interface VersionedRoutingConfig {
  /** name@version of the config. */
  id: string;
  config: RoutingConfig;
}

export type AppliedRouting = { calibration: ClassifierCalibration; applied: true } | { calibration: ClassifierCalibration; applied: false; reason: string };

/** The calibration with the config's thresholds for `classifier` (name@version), or the calibration as it was and why. */
export function applyRoutingConfig(calibration: ClassifierCalibration, rc: VersionedRoutingConfig | null | undefined, classifier: string): AppliedRouting {
  if (!rc) return { calibration, applied: false, reason: 'no routing config' };
  if (rc.config.classifier !== classifier) return { calibration, applied: false, reason: `${rc.id} was tuned for ${rc.config.classifier}, not ${classifier}` };
  return {
    applied: true,
    calibration: {
      ...calibration,
      intentThresholds: { ...rc.config.routeThresholds },
      ...(rc.config.declineThreshold !== undefined ? { declineThreshold: rc.config.declineThreshold } : {}),
      routingConfig: rc.id,
    },
  };
}

/**
 * A prediction decided again under a routing config (exact: the decision needs only the top label
 * and its probability), for a tier that picks the config per request (a rollout) after classifying.
 */
export function decideWithRouting(p: IntentPrediction, own: ClassifierCalibration, rc: VersionedRoutingConfig | null | undefined, classifier: string): IntentPrediction {
  return decideIntent(p.topLabel, p.confidence, applyRoutingConfig(own, rc, classifier).calibration);
}

/**
 * The two files of a registrable routing config folder (routing-config.json and its manifest,
 * kind `routing-config`) as bytes, for the caller to write (the tuner, tests). Runtime-free.
 */
export async function routingConfigFiles(
  config: RoutingConfig,
  meta: { name: string; version: string; settings?: Record<string, unknown>; createdAt?: string },
): Promise<{ [ROUTING_CONFIG_FILE]: Uint8Array; 'manifest.json': Uint8Array }> {
  const bytes = new TextEncoder().encode(stableJson(config));
  const manifest = await manifestOf([[ROUTING_CONFIG_FILE, bytes]], {
    name: meta.name,
    version: meta.version,
    kind: 'routing-config',
    trainingDataSha256: null,
    settings: meta.settings ?? {},
    seed: 0,
    metrics: {},
  }, meta.createdAt ?? new Date().toISOString());
  return { [ROUTING_CONFIG_FILE]: bytes, 'manifest.json': new TextEncoder().encode(stableJson(manifest)) };
}
