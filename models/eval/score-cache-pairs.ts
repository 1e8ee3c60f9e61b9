/**
 * Scores the store paraphrase set for the cache evaluations: each pair's cosine under an embedder,
 * whether today's key (intent + entity signature) matches and whether the key frames are
 * compatible, using the domain's entity terms, catalog and cache aspects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AspectDetector } from '../../shared/cache/aspects.ts';
import { parseCacheAspects } from '../../shared/cache/aspects-schema.ts';
import { EntityExtractor } from '../../shared/cache/entities.ts';
import { keyFrame } from '../../shared/cache/key-frame.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { cosine, type SentenceEmbedder } from '../../shared/models/sentence-embedder.ts';
import { framesCompatible, type ScoredCachePair } from './cache-keys-eval.ts';
import type { ParaphrasePair } from './paraphrase-set.ts';

export interface DomainKeying {
  extractor: EntityExtractor;
  aspects: AspectDetector;
}

/** The domain's entity extractor and aspect detector, from its data folders. */
export function domainKeying(storeDir: string, domainDir: string): DomainKeying {
  const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
  const terms = json(join(storeDir, 'entities.json')).term as Record<string, string[]>;
  const catalog = json(join(storeDir, 'kb', 'catalog.json')) as { id: string; title: string }[];
  return { extractor: new EntityExtractor(storeGazetteer(terms, catalog)), aspects: new AspectDetector(parseCacheAspects(json(join(domainDir, 'cache-aspects.json')))) };
}

export interface ScoredSet {
  pairs: ScoredCachePair[];
  vectors: Map<string, Float32Array>;
}

export async function scoreCachePairs(emb: Pick<SentenceEmbedder, 'embed'>, pairs: readonly ParaphrasePair[], k: DomainKeying): Promise<ScoredSet> {
  const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const vec = new Map<string, Float32Array>();
  for (let i = 0; i < texts.length; i += 64) {
    const batch = texts.slice(i, i + 64);
    (await emb.embed(batch)).forEach((v, j) => vec.set(batch[j], v));
  }
  const scored = pairs.map((p) => {
    const ea = k.extractor.extract(p.a);
    const eb = k.extractor.extract(p.b);
    const fa = keyFrame(p.a, p.intent, ea, k.aspects);
    const fb = keyFrame(p.b, p.intent, eb, k.aspects);
    return {
      a: p.a,
      intent: p.intent,
      label: p.label,
      kind: p.kind,
      split: p.split,
      cosine: cosine(vec.get(p.a)!, vec.get(p.b)!),
      sameSig: k.extractor.signature(p.a) === k.extractor.signature(p.b),
      sameFrame: framesCompatible(fa, fb),
    };
  });
  return { pairs: scored, vectors: vec };
}
