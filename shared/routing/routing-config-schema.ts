/** The zod schema of a routing config file (routing-config.ts), for the tiers' loaders and `domain check`. */
import { z } from 'zod';
import type { RoutingConfig } from './routing-config.ts';

const probability = z.number().min(0).max(1);
const intent = z.string().regex(/^[a-z][a-z0-9_-]*$/);
const modelId = z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be name@version');

export const RoutingConfigSchema = z.looseObject({
  classifier: modelId,
  embedder: modelId,
  routeThresholds: z.record(intent, probability),
  declineThreshold: probability.optional(),
  cacheHitThresholds: z.record(intent, z.number().min(-1).max(1)),
  chanceSimilarity: z.number().min(-1).max(1).optional(),
  evidence: z.unknown().optional(),
});

/** The parts of a routing config folder's manifest.json the tiers read (the full shape: shared/models/manifest.ts). */
export const RoutingManifestSchema = z.looseObject({ name: z.string().min(1), version: z.string().min(1), kind: z.literal('routing-config'), files: z.record(z.string(), z.string()) });

export class RoutingConfigFileError extends Error {
  readonly code = 'ROUTING_CONFIG_INVALID';
}

/** A routing config file's JSON, checked; ROUTING_CONFIG_INVALID naming `where` and the field otherwise. */
export function parseRoutingConfig(json: unknown, where: string): RoutingConfig {
  const r = RoutingConfigSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RoutingConfigFileError(`${where}: ${i.path.join('.') || 'config'}: ${i.message}`);
  }
  return r.data as RoutingConfig;
}
