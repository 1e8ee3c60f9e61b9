/**
 * `npm run calibrate:cache-keys [-- --write]`: per-intent hit thresholds of the semantic cache
 * within its key frames, chosen on the train + val pairs of the store paraphrase set (≥ 99% hit
 * precision at the strongest Wilson confidence feasible; with the cross pairs of those questions whose
 * frames match as in-frame evidence, models/eval/cross-pairs.ts), then both key designs — today's single
 * threshold with the entity signature, and key frames with per-intent thresholds — measured on the
 * test pairs. With --write the thresholds and their evidence go into the store's cache.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../pipeline/datasets.ts';
import { calibrateIntent, chanceSimilarity, frameHit, globalHit, hitStats } from '../eval/cache-keys-eval.ts';
import { calibrationEvidence, crossPairs } from '../eval/cross-pairs.ts';
import { answersNeed, ParaphraseTemplates, readParaphrases } from '../eval/paraphrase-set.ts';
import { domainKeying, scoreCachePairs } from '../eval/score-cache-pairs.ts';
import { loadSentenceEmbedder } from '../pipeline/load-node.ts';
import { cliArgs } from './args.ts';

const { values } = cliArgs({ write: { type: 'boolean' }, domain: { type: 'string' } });
const root = repoRoot();
const domainDir = join(root, 'domains', (values.domain as string | undefined) ?? 'kitsune-books');
const storeDir = domainDir;
const cachePath = join(domainDir, 'cache.json');
const cacheConfig = JSON.parse(readFileSync(cachePath, 'utf8'));
const emb = await loadSentenceEmbedder(join(root, 'models', 'default', 'embedder'));
const pairs = readParaphrases(join(domainDir, 'eval', 'paraphrases.jsonl'));
const keying = domainKeying(storeDir, domainDir);
const { pairs: scored, vectors } = await scoreCachePairs(emb, pairs, keying);
const templates = ParaphraseTemplates.parse(JSON.parse(readFileSync(join(domainDir, 'eval', 'paraphrase-templates.json'), 'utf8')));
// Every ordered pair of the set's questions whose frames match, labelled by their needs: the
// in-frame negatives the set's own pairs never contain (models/eval/cross-pairs.ts).
const cross = crossPairs(pairs, keying, vectors, (a, b) => answersNeed(a, b, templates));
const crossTest = cross.filter((p) => p.split === 'test');
const calib = scored.filter((p) => p.split !== 'test');
// Chance similarity from the calibration questions only (one vector per cached question).
const byIntent = new Map<string, Float32Array[]>();
for (const p of calib) byIntent.set(p.intent, [...(byIntent.get(p.intent) ?? []), vectors.get(p.a)!]);
const floor = chanceSimilarity(byIntent, 0.99);
const test = scored.filter((p) => p.split === 'test');
const intents = [...new Set(scored.map((p) => p.intent))].sort();
const globalT = cacheConfig.thresholds.hit as number;

const perIntent = Object.fromEntries(intents.map((i) => [i, calibrateIntent(calibrationEvidence(calib, cross, i), { floor })]));
// Today's key (intent + entity signature) with one threshold for all intents, calibrated the same way.
const globalCalibrated = calibrateIntent(calib.map((p) => ({ ...p, sameFrame: p.sameSig })));
const thresholds = Object.fromEntries(intents.map((i) => [i, perIntent[i].threshold]));
const summary = (h: ReturnType<typeof hitStats>) => ({ precision: r4(h.precision), recall: r4(h.recall), hits: h.hits, precisionLower95: r4(h.precisionLower95), falseHits: h.falseHits });
const report = {
  embedder: `${emb.manifest.name}@${emb.manifest.version}`,
  pairs: { calibration: calib.length, test: test.length, crossCalibration: cross.length - crossTest.length, crossTest: crossTest.length },
  thresholds,
  chanceSimilarity: floor,
  test: {
    global: { threshold: globalT, ...summary(hitStats(test, globalHit(globalT))) },
    globalCalibrated: { threshold: globalCalibrated.threshold, rule: globalCalibrated.rule, ...summary(hitStats(test, globalHit(globalCalibrated.threshold))) },
    frameGlobalThreshold: { threshold: globalT, ...summary(hitStats(test, frameHit({}, globalT))) },
    frame: summary(hitStats(test, frameHit(thresholds, globalT))),
    /** The cross pairs of the test questions (all in one frame): what the cosine decides alone. */
    crossFrame: summary(hitStats(crossTest, frameHit(thresholds, globalT))),
    crossFrameGlobalThreshold: summary(hitStats(crossTest, frameHit({}, globalT))),
    perIntent: Object.fromEntries(
      intents.map((i) => {
        const t = test.filter((p) => p.intent === i);
        const ct = crossTest.filter((p) => p.intent === i);
        return [i, { global: summary(hitStats(t, globalHit(globalT))), frame: summary(hitStats(t, frameHit(thresholds, globalT))), crossFrame: summary(hitStats(ct, frameHit(thresholds, globalT))) }];
      }),
    ),
  },
};
console.log(JSON.stringify(report, null, 2));

if (values.write) {
  cacheConfig.thresholds = { ...cacheConfig.thresholds, intents: thresholds };
  cacheConfig.keyFrames = {
    about:
      'Per-intent hit thresholds within the key frame (intent + entity signature + aspect, domains/<domain>/cache-aspects.json), chosen by `npm run calibrate:cache-keys` on the train + val pairs of domains/<domain>/eval/paraphrases.jsonl and the cross pairs of their questions whose frames match (labelled by their annotated needs: the negatives the frame cannot tell apart): the lowest cosine with hit precision >= 99% at the strongest Wilson rule feasible (wilson95 = one-sided 95%), and not below the chance similarity ("+floor" in the rule when that raised it).',
    embedder: report.embedder,
    chanceSimilarity: { value: floor, about: '99th percentile cosine of random pairs of calibration questions of different intents; no per-intent threshold goes below it' },
    evidence: Object.fromEntries(intents.map((i) => [i, { threshold: perIntent[i].threshold, rule: perIntent[i].rule, calibration: summary(perIntent[i].calibration), test: report.test.perIntent[i].frame, testCross: report.test.perIntent[i].crossFrame }])),
    test: { frame: report.test.frame, crossFrame: report.test.crossFrame, global: report.test.global, globalCalibrated: report.test.globalCalibrated },
  };
  writeFileSync(cachePath, JSON.stringify(cacheConfig, null, 2) + '\n');
  console.error(`wrote ${cachePath}`);
}

function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
