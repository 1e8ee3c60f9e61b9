/** Zod schema of a domain's cache aspects file (see aspects.ts for what the aspects mean). */
import { z } from 'zod';
import type { CacheAspects } from './aspects.ts';

const Name = z.string().regex(/^[a-z0-9_]+$/, 'aspect names and values are lower-case words joined by "_"');
const Phrase = z.string().trim().min(1).max(80);

export const AspectRuleSchema = z.strictObject({
  cues: z.array(Phrase).min(1),
  values: z.record(Name, z.array(Phrase)).optional(),
  absorbs: z.array(Phrase).optional(),
  yieldsTo: z.array(Name).optional(),
});

export const CacheAspectsSchema = z.object({
  domain: z.string().optional(),
  about: z.string().optional(),
  intents: z.record(
    z.string().min(1),
    z.strictObject({ fallback: Name, aspects: z.record(Name, AspectRuleSchema), absorbs: z.array(Phrase).optional() }).refine((s) => !(s.fallback in s.aspects), {
      message: 'the fallback aspect must not also have cues (it is what no cue matched)',
    }),
  ),
});

export class CacheAspectsError extends Error {
  readonly code = 'CACHE_ASPECTS_INVALID';
}

export function parseCacheAspects(json: unknown, cacheableIntents?: readonly string[]): CacheAspects {
  const parsed = CacheAspectsSchema.safeParse(json);
  if (!parsed.success) {
    throw new CacheAspectsError(`invalid cache aspects: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const missing = (cacheableIntents ?? []).filter((i) => !parsed.data.intents[i]);
  if (missing.length) throw new CacheAspectsError(`cache aspects have no entry for cacheable intents: ${missing.join(', ')}`);
  return parsed.data;
}
