/**
 * The tuner (precision vs coverage per intent, proposed thresholds, uPlot report, a registrable
 * versioned config) and the explanations of a decision (leave-one-word-out token contributions
 * on the real classifier, thresholds beside the confidence, the cache decision).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routingProposals, curveOf } from '../models/eval/routing-curves.ts';
import { loadIntentClassifier } from '../models/pipeline/load-node.ts';
import { tokenContributions } from '../shared/models/token-contributions.ts';
import { explainLookup, explainPrediction } from '../shared/routing/explain.ts';
import { inspectModelFolder } from '../regional/src/ops/register-folder.ts';
import type { IntentClassifier } from '../shared/models/intent-classifier.ts';

let dir: string;
let clf: IntentClassifier;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-tune-'));
  clf = await loadIntentClassifier('models/default/store-intent');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('routing proposals', () => {
  it('picks per intent the lowest confidence with 99% precision and traces the curve', () => {
    const P = (gold: string, label: string, confidence: number) => ({ gold, label, confidence });
    const preds = [...Array.from({ length: 30 }, (_, i) => P('a', 'a', 0.7 + i / 100)), P('b', 'a', 0.69), P('b', 'a', 0.65), ...Array.from({ length: 10 }, () => P('b', 'b', 0.9)), P('x', 'oos', 0.99)];
    const [a, b] = routingProposals(preds);
    expect(a).toMatchObject({ intent: 'a', n: 32, rule: 'observed', threshold: 0.7, precision: 1 });
    expect(a.coverage).toBeCloseTo(30 / 32);
    expect(b.intent).toBe('b');
    expect(routingProposals(preds).map((p) => p.intent)).not.toContain('oos');
    const c = curveOf([{ score: 0.6, ok: false }, { score: 0.9, ok: true }]);
    expect(c.precision[0]).toBe(0.5);
    expect(c.precision.at(-1)).toBeNaN();
    expect(c.coverage[0]).toBe(1);
  });
});

describe('npm run tune', () => {
  it('prints proposals, plots them with uPlot and writes a registrable versioned config', () => {
    const out = execFileSync('npx', ['tsx', 'models/cli/tune.ts', '--html', join(dir, 'tune.html'), '--write', join(dir, 'cfg'), '--version', '0.0.1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toMatch(/routing \(confidence threshold per intent/);
    expect(out).toMatch(/shipping_info\s+t=0\.\d{4}/);
    expect(out).toMatch(/cache \(cosine within key frames/);
    const html = readFileSync(join(dir, 'tune.html'), 'utf8');
    expect(html).toContain('new uPlot(');
    expect((html.match(/<figure>/g) ?? []).length).toBe(10 + 3);
    const cfg = JSON.parse(readFileSync(join(dir, 'cfg', 'routing-config.json'), 'utf8'));
    expect(Object.keys(cfg.cacheHitThresholds).sort()).toEqual(['product_question', 'purchase_help', 'shipping_info']);
    expect(cfg.evidence.cache.shipping_info.precision).toBeGreaterThanOrEqual(0.99);
    return inspectModelFolder(join(dir, 'cfg')).then((f) => expect(f.manifest).toMatchObject({ kind: 'routing-config', version: '0.0.1' }));
  }, 120_000);
});

describe('explanations', () => {
  it('names the words that drove the intent, strongest first', async () => {
    const [p] = await clf.classify(['where do I enter a discount code?']);
    const tokens = await tokenContributions(clf, 'where do I enter a discount code?', p.topLabel, 3);
    expect(p.topLabel).toBe('purchase_help');
    expect(tokens).toHaveLength(3);
    expect(tokens.map((t) => t.token)).toContain('discount');
    expect(tokens[0].weight).toBeGreaterThanOrEqual(tokens[1].weight);
    // a word that carries the intent weighs more than a function word
    const all = await tokenContributions(clf, 'where do I enter a discount code?', p.topLabel, 10);
    expect(all.find((t) => t.token === 'discount')!.weight).toBeGreaterThan(all.find((t) => t.token === 'a')!.weight);
    expect(await tokenContributions(clf, '   ', p.topLabel)).toEqual([]);
    expect(await tokenContributions(clf, 'hello', 'no_such_intent')).toEqual([]);
  });

  it('puts the thresholds beside the confidence and the frame beside the similarity', () => {
    const x = explainPrediction({ intent: 'shipping_info', confidence: 0.97, topLabel: 'shipping_info', confident: true }, { oosThreshold: 0.4, routeThreshold: 0.956, declineThreshold: 0.9 });
    expect(x).toEqual({ confidence: 0.97, routeThreshold: 0.956, routeThresholdFrom: 'global', oosThreshold: 0.4, declineThreshold: 0.9, confident: true });
    const frame = { intent: 'shipping_info', aspect: 'time', qualifier: '', entities: 'place:canada', cues: ['how long'] };
    expect(explainLookup({ hit: null, frame, similarity: 0.12345, threshold: 0.33 })).toEqual({ hit: false, similarity: 0.1235, threshold: 0.33, frame: { intent: 'shipping_info', aspect: 'time', qualifier: '', entities: 'place:canada' }, cues: ['how long'] });
  });
});
