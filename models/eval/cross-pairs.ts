/**
 * More evidence for the cache's per-intent thresholds than the paraphrase set's own pairs: every
 * ordered pair of its questions (same intent, same split group) whose key frames are compatible,
 * labelled by the questions' annotated needs (`answersNeed`: the same need, or a specific form's
 * answer reused for the open form). The set's pairs alone never share a frame with a negative —
 * its hard negatives differ in exactly what the frame keys — so any cosine cleared 99% and every
 * threshold sat on the chance floor; cross pairs include the questions the frame cannot tell
 * apart, which is the job the cosine has within a frame. Pure; the CLIs embed.
 */
import { keyFrame, type KeyFrame } from '../../shared/cache/key-frame.ts';
import { cosine } from '../../shared/models/sentence-embedder.ts';
import { framesCompatible, type ScoredCachePair } from './cache-keys-eval.ts';
import type { ParaphrasePair } from './paraphrase-set.ts';
import type { DomainKeying } from './score-cache-pairs.ts';

interface Question {
  text: string;
  need: string;
  frame: KeyFrame;
}

/** `group` maps a pair's split to the group its cross pairs stay in (e.g. train + val → "cal"). */
export function crossPairs(
  pairs: readonly ParaphrasePair[],
  k: Pick<DomainKeying, 'aspects' | 'frameEntities'>,
  vectors: ReadonlyMap<string, Float32Array>,
  answers: (cached: string, asked: string) => boolean,
  group: (split: string) => string = (s) => (s === 'test' ? 'test' : 'cal'),
): ScoredCachePair[] {
  const buckets = new Map<string, Question[]>();
  const seen = new Set<string>();
  for (const p of pairs) {
    const g = group(p.split);
    for (const [text, need] of [[p.a, p.needs[0]], [p.b, p.needs[1]]] as const) {
      const id = `${g}\u0000${p.intent}\u0000${text}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const frame = keyFrame(text, p.intent, k.frameEntities(text), k.aspects);
      const key = `${g}\u0000${p.intent}\u0000${frame.aspect}\u0000${frame.entities}`;
      buckets.set(key, [...(buckets.get(key) ?? []), { text, need, frame }]);
    }
  }
  const out: ScoredCachePair[] = [];
  for (const [key, qs] of buckets) {
    const split = key.slice(0, key.indexOf('\u0000'));
    for (const a of qs) {
      for (const b of qs) {
        if (a === b || !framesCompatible(a.frame, b.frame)) continue;
        const label = answers(a.need, b.need) ? 1 : 0;
        out.push({ a: a.text, intent: a.frame.intent, label, kind: label ? 'cross' : 'cross-negative', split, cosine: cosine(vectors.get(a.text)!, vectors.get(b.text)!), sameSig: true, sameFrame: true });
      }
    }
  }
  return out;
}

/**
 * The evidence one intent's hit threshold is chosen on: the set's own calibration pairs and the
 * cross pairs of its calibration questions (both train + val; test stays for the report).
 */
export function calibrationEvidence(own: readonly ScoredCachePair[], cross: readonly ScoredCachePair[], intent: string): ScoredCachePair[] {
  return [...own.filter((p) => p.intent === intent && p.split !== 'test'), ...cross.filter((p) => p.intent === intent && p.split !== 'test')];
}
