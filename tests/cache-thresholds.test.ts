/**
 * Per-intent cache thresholds: the selection rule (99% hit precision at the strongest Wilson
 * confidence, recall maximised, never below chance similarity), and the committed paraphrase set
 * and cache config it was run on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import cacheConfig from '../domains/kitsune-books/cache.json' with { type: 'json' };
import { calibrateIntent, chanceSimilarity, frameHit, globalHit, hitStats, type ScoredCachePair } from '../models/eval/cache-keys-eval.ts';
import { crossPairs } from '../models/eval/cross-pairs.ts';
import { normalizeSentence, readParaphrases, type ParaphrasePair } from '../models/eval/paraphrase-set.ts';
import { AspectDetector } from '../shared/cache/aspects.ts';
import { parseCacheAspects } from '../shared/cache/aspects-schema.ts';
import { mulberry32 } from '../models/pipeline/datasets.ts';

const pair = (label: 0 | 1, cosine: number, sameFrame = true, kind = label ? 'synonym' : 'aspect'): ScoredCachePair => ({ a: 'q', intent: 'i', label, kind, split: 'train', cosine, sameFrame, sameSig: true });

describe('calibrateIntent', () => {
  it('picks the lowest threshold whose Wilson-95 hit precision clears 99%', () => {
    // 400 positives spread over (0.5, 0.9], one negative at 0.55 inside the frame
    const pairs = [...Array.from({ length: 400 }, (_, i) => pair(1, 0.5 + (0.4 * (i + 1)) / 400)), pair(0, 0.55)];
    const t = calibrateIntent(pairs);
    expect(t.feasible).toBe(true);
    expect(t.rule).toBe('wilson95');
    expect(t.threshold).toBeGreaterThan(0.55);
    expect(t.calibration.falseHits).toEqual({});
    expect(t.calibration.precisionLower95).toBeGreaterThanOrEqual(0.99);
    // recall maximised: no lower threshold would also be clean
    expect(t.threshold).toBeLessThan(0.56);
  });

  it('ignores negatives the frame already keeps apart, and falls back to weaker rules on little evidence', () => {
    const pairs = [...Array.from({ length: 400 }, (_, i) => pair(1, 0.3 + i / 1000)), ...Array.from({ length: 50 }, () => pair(0, 0.99, false))];
    expect(calibrateIntent(pairs).threshold).toBeLessThanOrEqual(0.3);
    const few = Array.from({ length: 20 }, (_, i) => pair(1, 0.8 + i / 100));
    expect(calibrateIntent(few).rule).toBe('observed');
  });

  it('never goes below the floor, and says so', () => {
    const pairs = Array.from({ length: 400 }, (_, i) => pair(1, 0.1 + i / 500));
    const t = calibrateIntent(pairs, { floor: 0.4 });
    expect(t.threshold).toBe(0.4);
    expect(t.rule).toMatch(/\+floor$/);
    expect(t.calibration.hits).toBe(pairs.filter((p) => p.cosine >= 0.4).length);
  });

  it('checks the Wilson rule on the hits above the floor, not on pairs the floor then drops', () => {
    // 300 clean pairs, 200 of them below the floor: 100 hits above it cannot show 99% at Wilson 95
    const pairs = Array.from({ length: 300 }, (_, i) => pair(1, 0.1 + i / 1000));
    const t = calibrateIntent(pairs, { floor: 0.3 });
    expect(t.rule).not.toMatch(/^wilson95/);
    expect(t.threshold).toBe(0.3);
    expect(t.calibration.hits).toBe(100);
  });

  it('reports an infeasible target instead of inventing a threshold', () => {
    const t = calibrateIntent([pair(0, 0.9), pair(0, 0.8), pair(1, 0.7)]);
    expect(t.feasible).toBe(false);
    expect(t.threshold).toBe(1);
  });
});

describe('chanceSimilarity', () => {
  it('is the high quantile of cross-intent cosines (orthogonal intents score ~0)', () => {
    const e = (d: number) => Float32Array.from({ length: 4 }, (_, i) => (i === d ? 1 : 0));
    expect(chanceSimilarity(new Map([['a', [e(0)]], ['b', [e(1)]]]))).toBe(0);
    const r = mulberry32(2);
    const noisy = (d: number) => {
      const v = Float32Array.from({ length: 4 }, (_, i) => (i === d ? 1 : 0) + (r() - 0.5) * 0.6);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const c = chanceSimilarity(new Map([['a', Array.from({ length: 50 }, () => noisy(0))], ['b', Array.from({ length: 50 }, () => noisy(1))]]));
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThan(0.9);
  });
});

describe('crossPairs', () => {
  const aspects = new AspectDetector(parseCacheAspects({ intents: { ship: { fallback: 'general', aspects: { cost: { cues: ['cost', 'price'] }, time: { cues: ['long', 'time'] } } } } }));
  const k = { aspects, frameEntities: (t: string) => (/canada/i.test(t) ? [{ kind: 'place', value: 'canada' }] : []) };
  const row = (a: string, b: string, needs: [string, string], split = 'train'): ParaphrasePair =>
    ({ id: a, split, intent: 'ship', a, b, label: needs[0] === needs[1] ? 1 : 0, kind: 'synonym', groups: ['x', 'x'], needs }) as ParaphrasePair;
  const texts = ['shipping cost to canada', 'price to ship to canada', 'how long to canada', 'delivery time canada', 'do you ship to canada', 'can you send it to canada'];
  const vectors = new Map(texts.map((t, i) => [t, Float32Array.from([1, i / 10])]));
  const set = [
    row(texts[0], texts[1], ['cost|place=Canada', 'cost|place=Canada']),
    row(texts[2], texts[3], ['time|place=Canada', 'time|place=Canada']),
    // both fall to the fallback aspect, yet one asks customs: an in-frame negative
    row(texts[4], texts[5], ['availability|place=Canada', 'customs|place=Canada'], 'test'),
  ];
  const cross = crossPairs(set, k, vectors, (a, b) => a === b);

  it('pairs every two questions whose frames match, both ways, within a split group, labelled by their needs', () => {
    const cal = cross.filter((p) => p.split === 'cal');
    expect(cal).toHaveLength(4); // cost×cost and time×time, each both ways; never cost × time
    expect(cal.every((p) => p.label === 1)).toBe(true);
    const test = cross.filter((p) => p.split === 'test');
    expect(test).toHaveLength(2);
    expect(test.every((p) => p.label === 0 && p.kind === 'cross-negative')).toBe(true);
  });
});

describe('hit statistics of the two key designs', () => {
  it('counts false hits by kind and applies per-intent thresholds', () => {
    const pairs = [pair(1, 0.95), pair(0, 0.96, true, 'aspect'), pair(1, 0.5), pair(0, 0.97, false, 'entity')];
    expect(hitStats(pairs, globalHit(0.9))).toMatchObject({ hits: 3, correct: 1, falseHits: { aspect: 1, entity: 1 } });
    expect(hitStats(pairs, frameHit({ i: 0.4 }, 0.9))).toMatchObject({ hits: 3, correct: 2, falseHits: { aspect: 1 } });
  });
});

describe('the committed paraphrase set and cache config', () => {
  const pairs = readParaphrases('domains/kitsune-books/eval/paraphrases.jsonl');

  it('has >= 1,500 valid pairs over the cacheable intents, every split, positives and each hard-negative kind', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(1500);
    const intents = new Set(pairs.map((p) => p.intent));
    expect([...intents].sort()).toEqual(['product_question', 'purchase_help', 'shipping_info']);
    for (const s of ['train', 'val', 'test']) expect(pairs.filter((p) => p.split === s).length).toBeGreaterThan(300);
    for (const k of ['typo', 'chat', 'polite', 'synonym', 'entity', 'aspect', 'express', 'value']) expect(pairs.some((p) => p.kind === k)).toBe(true);
    expect(pairs.filter((p) => p.label === 1).length / pairs.length).toBeGreaterThan(0.3);
  });

  it('repeats no intent-data sentence', () => {
    const train = new Set(
      ['train', 'val', 'test'].flatMap((s) =>
        readFileSync(`domains/kitsune-books/intents/${s}.jsonl`, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => normalizeSentence(JSON.parse(l).text)),
      ),
    );
    expect(pairs.filter((p) => train.has(normalizeSentence(p.a)) || train.has(normalizeSentence(p.b)))).toEqual([]);
  });

  it('stores a threshold with its evidence for every cacheable intent', () => {
    const thresholds = cacheConfig.thresholds as { intents?: Record<string, number> };
    const evidence = cacheConfig.keyFrames.evidence as Record<string, { threshold: number; rule: string; calibration: { hits: number; precision: number }; test: { precision: number } }>;
    for (const i of ['product_question', 'purchase_help', 'shipping_info']) {
      expect(thresholds.intents?.[i]).toBe(evidence[i].threshold);
      expect(evidence[i].rule).toMatch(/^wilson95/);
      expect(evidence[i].calibration.precision).toBeGreaterThanOrEqual(0.99);
      expect(evidence[i].calibration.hits).toBeGreaterThan(100);
    }
  });
});
