/**
 * Scores the store paraphrase set for the cache evaluations: each pair's cosine under an embedder,
 * whether the key before frames (intent + the cache extractor's entity signature) matches, and
 * whether the key frames are compatible — made, as at the edge, from the dialogue extractor's
 * entities (shared/conversation/) and the domain's cache aspects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AspectDetector } from '../../shared/cache/aspects.ts';
import { parseCacheAspects } from '../../shared/cache/aspects-schema.ts';
import { EntityExtractor, entityPatternsOf, gazetteerOf } from '../../shared/cache/entities.ts';
import { keyFrame, type FrameEntity } from '../../shared/cache/key-frame.ts';
import { dialogueEntitiesFor } from '../../shared/conversation/conversation-data.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { cosine, type SentenceEmbedder } from '../../shared/models/sentence-embedder.ts';
import { framesCompatible, type ScoredCachePair } from './cache-keys-eval.ts';
import type { ParaphrasePair } from './paraphrase-set.ts';

export interface DomainKeying {
  extractor: EntityExtractor;
  aspects: AspectDetector;
  /** The entities the edge keys frames with (a standalone message's resolution). */
  frameEntities: (text: string) => FrameEntity[];
}

/** The domain's entity extractor and aspect detector, from its data folders. */
export function domainKeying(storeDir: string, domainDir: string): DomainKeying {
  const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
  const entitiesJson = json(join(storeDir, 'entities.json'));
  const entities = gazetteerOf(entitiesJson);
  const catalog = json(join(storeDir, 'kb', 'catalog.json')) as { id: string; title: string }[];
  const convPath = join(domainDir, 'conversation.json');
  const conversation = existsSync(convPath) ? json(convPath) : { domain: 'none', slots: {} };
  const dialogue = dialogueEntitiesFor(entities, catalog, conversation, entityPatternsOf(entitiesJson.patterns));
  return {
    extractor: new EntityExtractor(storeGazetteer(entities, catalog, conversation), entityPatternsOf(entitiesJson.patterns), (conversation as { everydayWords?: string[] }).everydayWords),
    aspects: new AspectDetector(parseCacheAspects(json(join(domainDir, 'cache-aspects.json')))),
    frameEntities: (text) => dialogue.analyze(text).entities,
  };
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
    const ea = k.frameEntities(p.a);
    const eb = k.frameEntities(p.b);
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
