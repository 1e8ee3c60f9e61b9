/**
 * `npm run tune [-- --log <jsonl>] [--html <file>] [--write <dir>] [--version <v>]`: proposes
 * the decision thresholds from labelled data and shows why.
 *   - routing: the store classifier on the labelled intents' val split (plus `--log`, a region
 *     prediction log of {"text","label"} lines whose label was confirmed), per intent precision vs
 *     coverage of the confidence threshold, and the proposed threshold (99% at Wilson 95% …);
 *   - cache: the store paraphrase set's train + val pairs, per intent precision vs recall of the
 *     cosine threshold within key frames, and the proposed hit threshold (calibrate:cache-keys).
 * Prints a table, writes an HTML report with uPlot charts, and with --write a versioned config
 * folder (routing-config.json + manifest.json, kind `routing-config`) that the registry takes
 * like a model (`npm run models -- register <dir>`), named `<domain>-routing-config`. Written to
 * `domains/<pack>/routing/` it is the pack's own: every tier applies it to the classifier it was
 * tuned for (shared/routing/routing-config.ts). Build time only: imports no tier.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { routingConfigFiles, routingConfigName } from '../../shared/routing/routing-config.ts';
import type { Prediction } from '../../shared/eval/metrics.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import { loadIntentClassifier, loadSentenceEmbedder } from '../pipeline/load-node.ts';
import { calibrateIntent, chanceSimilarity } from '../eval/cache-keys-eval.ts';
import { calibrationEvidence, crossPairs } from '../eval/cross-pairs.ts';
import { answersNeed, ParaphraseTemplates, readParaphrases } from '../eval/paraphrase-set.ts';
import { calibrateDecline, type DeclineRow } from '../eval/decline-threshold.ts';
import { curveOf, routingProposals } from '../eval/routing-curves.ts';
import { ROUTE_MIN_PRECISION, strictestFeasible } from '../pipeline/intent-model.ts';
import { domainKeying, scoreCachePairs } from '../eval/score-cache-pairs.ts';
import { tuneReportHtml, type Chart } from '../eval/tune-report.ts';
import { cliArgs } from './args.ts';

const { values } = cliArgs({ log: { type: 'string' }, html: { type: 'string' }, write: { type: 'string' }, version: { type: 'string' }, domain: { type: 'string' } });
const root = repoRoot();
const dir = join(root, 'domains', (values.domain as string | undefined) ?? 'kitsune-books');
const domainJson = JSON.parse(readFileSync(join(dir, 'domain.json'), 'utf8')) as { name: string; models: { classifier: string; embedder: string }; intents: Record<string, { route: string }> };
const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { text: string; label: string });

// ---- routing ----
const labelled = [...lines(join(dir, 'intents', 'val.jsonl')), ...(values.log ? lines(values.log as string).filter((l) => l.text && l.label) : [])];
// The pack's own classifier and embedder (domain.json models): the thresholds describe their scores.
const clf = await loadIntentClassifier(resolve(dir, domainJson.models.classifier));
const preds: Prediction[] = [];
const declineRows: DeclineRow[] = [];
for (let i = 0; i < labelled.length; i += 64) {
  const b = labelled.slice(i, i + 64);
  (await clf.classify(b.map((x) => x.text))).forEach((p, j) => {
    preds.push({ gold: b[j].label, label: p.intent, confidence: p.confidence });
    declineRows.push({ gold: b[j].label, topLabel: p.topLabel, confidence: p.confidence });
  });
}
const routing = routingProposals(preds);
// The decline threshold of `oos` on the same rows, as the trainer picks it (99% at the strongest rule).
const decline = strictestFeasible((z) => calibrateDecline(declineRows, { minPrecision: ROUTE_MIN_PRECISION, z }));

// ---- cache ----
const emb = await loadSentenceEmbedder(resolve(dir, domainJson.models.embedder));
const calPairs = readParaphrases(join(dir, 'eval', 'paraphrases.jsonl')).filter((p) => p.split !== 'test');
const keying = domainKeying(dir, dir);
const { pairs, vectors } = await scoreCachePairs(emb, calPairs, keying);
const templates = ParaphraseTemplates.parse(JSON.parse(readFileSync(join(dir, 'eval', 'paraphrase-templates.json'), 'utf8')));
const cross = crossPairs(calPairs, keying, vectors, (a, b) => answersNeed(a, b, templates));
const byIntent = new Map<string, Float32Array[]>();
for (const p of pairs) byIntent.set(p.intent, [...(byIntent.get(p.intent) ?? []), vectors.get(p.a)!]);
const floor = chanceSimilarity(byIntent, 0.99);
const cacheIntents = [...new Set(pairs.map((p) => p.intent))].sort();
const cache = cacheIntents.map((intent) => {
  const mine = calibrationEvidence(pairs, cross, intent);
  const t = calibrateIntent(mine, { floor });
  // precision vs recall (coverage of the reusable questions) of hits within frames
  const curve = curveOf(mine.filter((p) => p.sameFrame).map((p) => ({ score: p.cosine, ok: p.label === 1 })), 0);
  const positives = mine.filter((p) => p.label === 1).length;
  const inFrame = mine.filter((p) => p.sameFrame).length;
  curve.coverage = curve.coverage.map((c) => (c * inFrame) / Math.max(1, positives));
  return { intent, ...t, curve };
});

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');
console.log('routing (confidence threshold per intent; val split' + (values.log ? ' + log' : '') + `; global today ${clf.calibration.routeThreshold.toFixed(4)})`);
for (const r of routing) console.log(`  ${r.intent.padEnd(20)} n=${String(r.n).padStart(4)}  t=${r.threshold.toFixed(4)}  ${r.rule.padEnd(9)} precision ${pct(r.precision)}  coverage ${pct(r.coverage)}`);
console.log(`  ${'oos (decline)'.padEnd(20)} t=${decline.feasible ? decline.threshold.toFixed(4) : '–'}  ${decline.rule.padEnd(9)} (classifier's own ${clf.calibration.declineThreshold?.toFixed(4) ?? 'none'})`);
console.log(`cache (cosine within key frames; paraphrase train+val; chance similarity ${floor})`);
for (const c of cache) console.log(`  ${c.intent.padEnd(20)} t=${c.threshold.toFixed(4)}  ${c.rule.padEnd(14)} precision ${pct(c.calibration.precision)}  recall ${pct(c.calibration.recall)}  hits ${c.calibration.hits}`);

const charts = (xs: { intent: string; threshold: number; rule: string; curve: Chart['curve'] }[]): Chart[] => xs.map((x) => ({ title: x.intent, proposed: `${x.threshold.toFixed(4)} (${x.rule})`, curve: x.curve }));
const html = resolve((values.html as string | undefined) ?? join(root, 'reports', 'tune.html'));
mkdirSync(resolve(html, '..'), { recursive: true });
writeFileSync(html, tuneReportHtml('Switchyard thresholds', [
  { heading: 'Routing: precision vs coverage of the confidence threshold', charts: charts(routing) },
  { heading: 'Cache: hit precision vs recall of the cosine threshold within key frames', charts: charts(cache) },
]));
console.log(`report: ${html}`);

if (values.write) {
  const out = resolve(values.write as string);
  mkdirSync(out, { recursive: true });
  const config = {
    classifier: `${clf.manifest.name}@${clf.manifest.version}`,
    embedder: `${emb.manifest.name}@${emb.manifest.version}`,
    // A catalog intent keeps the classifier's global threshold: its messages are answered without
    // the LLM only when the catalog names exactly one item (the data is the second gate), and a
    // threshold tuned on the intent label alone lets through a tenth of them (kitsune-books: 0.9993).
    routeThresholds: Object.fromEntries(routing.filter((r) => r.rule !== 'none' && domainJson.intents[r.intent]?.route !== 'catalog').map((r) => [r.intent, r.threshold])),
    ...(decline.feasible ? { declineThreshold: decline.threshold } : {}),
    cacheHitThresholds: Object.fromEntries(cache.filter((c) => c.feasible).map((c) => [c.intent, c.threshold])),
    chanceSimilarity: floor,
    evidence: {
      routing: Object.fromEntries(routing.map((r) => [r.intent, { n: r.n, rule: r.rule, precision: r.precision, coverage: r.coverage }])),
      decline: { rule: decline.rule, feasible: decline.feasible, precision: decline.precision, coverage: decline.coverage },
      cache: Object.fromEntries(cache.map((c) => [c.intent, { rule: c.rule, precision: c.calibration.precision, recall: c.calibration.recall, hits: c.calibration.hits, precisionLower95: c.calibration.precisionLower95 }])),
    },
  };
  const files = await routingConfigFiles(config, {
    // Named by the pack: two packs' routing configs never share a registry name.
    name: routingConfigName(domainJson.name),
    version: (values.version as string | undefined) ?? new Date().toISOString().slice(0, 10).replace(/-/g, '.'),
    settings: { routeSet: 'intents/val.jsonl' + (values.log ? ' + log' : ''), cacheSet: 'eval/paraphrases.jsonl (train+val, with cross pairs)' },
  });
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(out, f), bytes);
  console.log(`wrote ${out} (register with: npm run models -- register ${out})`);
}
