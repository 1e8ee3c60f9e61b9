/**
 * A replayed store traffic mix for the semantic cache: the store's test messages in a seeded
 * order, with realistic repeats (a share asked again later, reworded only in case and
 * punctuation) and the paraphrase set's test pairs (the first question early, the second later),
 * run through the edge's decision — classify, route, template | cache | LLM — where every LLM
 * answer to a cacheable message is cached. A hit is judged by what the two questions need
 * (ParaphrasePair.needs): the same question or need is correct, another need is wrong; hits on
 * or by store test messages (no labelled need) are unjudged.
 */
import { mulberry32 } from '../pipeline/datasets.ts';
import { MemoryCacheStorage } from '../../shared/cache/memory-storage.ts';
import { SemanticCache, type CacheThresholds } from '../../shared/cache/semantic-cache.ts';
import type { AspectDetector } from '../../shared/cache/aspects.ts';
import type { IntentPrediction } from '../../shared/models/intent-classifier.ts';
import { routeFor, type IntentRoutes } from '../../shared/routing/intent-routes.ts';
import { normalizeSentence, type ParaphrasePair } from './paraphrase-set.ts';

export interface TrafficMix {
  messages: string[];
  /** What each paraphrase-set question needs answered (ParaphrasePair.needs), by normalized text. */
  needs: Map<string, string>;
}

export function trafficMix(testMessages: readonly string[], pairs: readonly ParaphrasePair[], opts: { seed?: number; repeatShare?: number } = {}): TrafficMix {
  const r = mulberry32(opts.seed ?? 7);
  const slots: { at: number; text: string }[] = testMessages.map((text) => ({ at: r(), text }));
  for (const text of testMessages) if (r() < (opts.repeatShare ?? 0.15)) slots.push({ at: 0.5 + r() * 0.5, text: r() < 0.5 ? text.toLowerCase() : text.replace(/[?.!]+$/, '') });
  const needs = new Map<string, string>();
  for (const p of pairs) {
    const first = r() * 0.7;
    slots.push({ at: first, text: p.a }, { at: first + (1 - first) * r(), text: p.b });
    needs.set(normalizeSentence(p.a), p.needs[0]);
    needs.set(normalizeSentence(p.b), p.needs[1]);
  }
  slots.sort((x, y) => x.at - y.at);
  return { messages: slots.map((s) => s.text), needs };
}

export interface ReplayResult {
  messages: number;
  template: number;
  cacheHits: number;
  llm: number;
  /** (template + cache hits) / messages: the share answered with no LLM. */
  bypassShare: number;
  correct: number;
  wrong: number;
  unjudged: number;
}

export interface ReplayDeps {
  routes: IntentRoutes;
  predictions: IntentPrediction[];
  vectors: Float32Array[];
  /** The entities a frame is made from (the cache extractor before frames, the dialogue extractor after). */
  entities: (text: string) => readonly { kind: string; value: string }[];
  aspects: AspectDetector | null;
  thresholds: CacheThresholds;
  dimensions: number;
  /** Whether an answer for the first need answers the second (answersNeed). */
  answers: (cached: string, asked: string) => boolean;
}

export async function replay(mix: TrafficMix, d: ReplayDeps): Promise<ReplayResult> {
  const cache = new SemanticCache(new MemoryCacheStorage(), { modelVersion: 'replay', dimensions: d.dimensions, thresholds: d.thresholds, aspects: d.aspects, refreshMs: 1e12 });
  const res: ReplayResult = { messages: mix.messages.length, template: 0, cacheHits: 0, llm: 0, bypassShare: 0, correct: 0, wrong: 0, unjudged: 0 };
  let now = 1;
  for (let i = 0; i < mix.messages.length; i++) {
    const text = mix.messages[i];
    const p = d.predictions[i];
    const path = routeFor(d.routes, p.intent, p.confident);
    now++;
    if (path === 'template') {
      res.template++;
      continue;
    }
    if (path !== 'cache') {
      res.llm++;
      continue;
    }
    const frame = cache.frame(text, p.intent, d.entities(text));
    const l = await cache.lookup(d.vectors[i], frame, { now });
    if (l.hit) {
      res.cacheHits++;
      const q = l.hit.answer.question;
      const [nq, nt] = [mix.needs.get(normalizeSentence(q)), mix.needs.get(normalizeSentence(text))];
      if (normalizeSentence(q) === normalizeSentence(text) || (nq && nt && d.answers(nq, nt))) res.correct++;
      else if (nq && nt) res.wrong++;
      else res.unjudged++;
      continue;
    }
    res.llm++;
    await cache.store({ frame, vector: d.vectors[i], question: text, answer: `answer to ${text}`, sources: [], createdAt: now, expiresAt: 1e15 });
  }
  res.bypassShare = (res.template + res.cacheHits) / res.messages;
  return res;
}
