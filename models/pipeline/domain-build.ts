/**
 * `domain build`: turns a validated pack into what the tiers load. Trains and calibrates its intent
 * classifier (the same trainer and calibration as the default store model, intent-model.ts) on the
 * pack's own messages plus, when domain.json asks for it, rows of a public set read from the shared
 * data folder at build time (never written into the pack); writes the model folder the pack's
 * domain.json names; calibrates the semantic-cache thresholds on the pack's paraphrase pairs when it
 * has some; runs the intent eval on the test split and writes reports/intent.{html,json}.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntityExtractor } from '../../shared/cache/entities.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import type { DomainPack } from '../../shared/domain/pack-check.ts';
import type { IntentClassifier } from '../../shared/models/intent-classifier.ts';
import { hitsAt, scorePairs, type ScoredPair } from '../../shared/eval/paraphrase-eval.ts';
import { evaluateIntent } from '../eval/intent-eval.ts';
import { defaultMetrics, writeIntentReport } from '../eval/report-html.ts';
import { classifierOverrides } from '../cli/args.ts';
import { classifierBaseVectors } from './base-vectors.ts';
import type { ClassifierOptions } from './classifier.ts';
import { loadBanking77, loadClinc150, mulberry32, splitValidation } from './datasets.ts';
import { trainIntentModel, writeIntentFolder } from './intent-model.ts';
import { packModelDir } from './domain-pack.ts';
import { loadIntentClassifier, loadSentenceEmbedder } from './load-node.ts';
import type { Dataset, LabeledExample } from './types.ts';

type SharedData = NonNullable<NonNullable<DomainPack['domain']['build']>['sharedTrainingData']>;

/** Up to `max` rows per source label, chosen with a seeded shuffle, relabelled to the pack's intents. */
function mapped(rows: LabeledExample[], labels: Record<string, string>, max: number, seed: number): LabeledExample[] {
  const by = new Map<string, LabeledExample[]>();
  for (const r of rows) if (labels[r.label]) by.set(r.label, [...(by.get(r.label) ?? []), r]);
  const rnd = mulberry32(seed);
  return [...by.keys()].sort().flatMap((l) => {
    const list = [...by.get(l)!];
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list.slice(0, max).map((r) => ({ text: r.text, label: labels[l] }));
  });
}

/** The public set's rows for this pack: train (with a stratified validation carve-out) and test. */
export function sharedRows(cfg: SharedData, seed: number): Dataset {
  const src = cfg.set === 'banking77' ? loadBanking77() : loadClinc150();
  const max = cfg.maxPerLabel ?? Number.MAX_SAFE_INTEGER;
  const splits = cfg.splits ?? ['train', 'test'];
  const train = splits.includes('train') ? mapped(src.train, cfg.labels, max, seed) : [];
  const test = splits.includes('test') ? mapped(src.test, cfg.labels, Math.max(1, Math.ceil(max / 4)), seed + 1) : [];
  const missing = Object.keys(cfg.labels).filter((l) => !src.train.some((r) => r.label === l));
  if (missing.length) throw new Error(`build.sharedTrainingData: ${cfg.set} has no label(s) ${missing.join(', ')}`);
  return train.length ? splitValidation({ name: cfg.set, train, test }, 0.15, seed) : { name: cfg.set, train, val: [], test };
}

/** The pack's messages plus its shared-data rows, as one dataset (val carved from train when the pack has none). */
export function packDataset(pack: DomainPack, seed: number): Dataset {
  const own = pack.intents;
  const extra = pack.domain.build?.sharedTrainingData ? sharedRows(pack.domain.build.sharedTrainingData, seed) : null;
  const ds: Dataset = {
    name: pack.domain.name,
    train: [...own.train, ...(extra?.train ?? [])],
    test: [...own.test, ...(extra?.test ?? [])],
  };
  const val = [...own.val, ...(extra?.val ?? [])];
  return val.length ? { ...ds, val } : splitValidation(ds, 0.15, seed);
}

/** The lowest cosine at which cached paraphrase pairs reach `precision` (with at least `minN` pairs above it). */
function lowestWith(data: ScoredPair[], precision: number, minN: number): number {
  for (let t = 0.5; t <= 0.99; t += 0.005) {
    const h = hitsAt(data, t);
    if (h.precision >= precision && h.n >= minN) return Math.round(t * 1000) / 1000;
  }
  return 0.99;
}

/**
 * Cache thresholds from the pack's paraphrase pairs (eval/paraphrases.jsonl, 20 or more), judged
 * the way the cache serves: a pair can only be a hit when both messages get the same intent and the
 * same entity signature, so cosine decides only among those; `hit` is the lowest cosine with >= 90%
 * precision, `stale` >= 80%, never below the embedder's general thresholds. Writes cache.json;
 * without enough pairs keeps it as written.
 */
export async function calibrateCache(dir: string, pack: DomainPack, classifier: IntentClassifier): Promise<BuildSummary['cache']> {
  if (pack.paraphrases.length < 20) return { calibrated: false, thresholds: pack.cache.thresholds };
  const emb = await loadSentenceEmbedder(packModelDir(dir, pack, 'embedder'));
  const entities = new EntityExtractor(storeGazetteer(pack.gazetteer, pack.catalog, pack.conversation), pack.entityPatterns, pack.conversation.everydayWords);
  const pairs = pack.paraphrases.map((p) => ({ s1: p.a, s2: p.b, label: (p.same ? 1 : 0) as 0 | 1 }));
  const cos = await scorePairs(emb, pairs);
  const [ia, ib] = [await classifier.classify(pairs.map((p) => p.s1)), await classifier.classify(pairs.map((p) => p.s2))];
  const scored: ScoredPair[] = cos.map((c, i) => {
    const gated = ia[i].intent === ib[i].intent && entities.signature(pairs[i].s1) === entities.signature(pairs[i].s2);
    return { s: gated ? c.s : -1, y: c.y };
  });
  const minN = Math.max(5, Math.round(pairs.length / 10));
  // A few dozen pairs can show that the embedder's general thresholds (MRPC-calibrated, kept as
  // `baseline`) are too loose for this domain's near misses, not that lower ones are safe.
  const cacheFile = join(dir, 'cache.json');
  const current = JSON.parse(readFileSync(cacheFile, 'utf8'));
  const baseline = (current.baseline ?? current.thresholds) as { hit: number; stale: number };
  const thresholds = { hit: Math.max(baseline.hit, lowestWith(scored, 0.9, minN)), stale: Math.max(baseline.stale, lowestWith(scored, 0.8, minN)) };
  if (thresholds.stale > thresholds.hit) thresholds.stale = thresholds.hit;
  const next = {
    ...current,
    baseline,
    about: `Semantic-cache thresholds for ${emb.manifest.name}@${emb.manifest.version}, written by \`npm run domain -- build\` from eval/paraphrases.jsonl (pairs with the same intent and entities; hit = lowest cosine with >= 90% paraphrase precision, stale = >= 80%, never below the MRPC baseline).`,
    embedder: `${emb.manifest.name}@${emb.manifest.version}`,
    // per-intent thresholds within key frames (npm run calibrate:cache-keys) are kept as written
    thresholds: { ...thresholds, ...(current.thresholds?.intents ? { intents: current.thresholds.intents } : {}) },
    paraphrases: { pairs: pairs.length, hit: hitsAt(scored, thresholds.hit), stale: hitsAt(scored, thresholds.stale) },
  };
  writeFileSync(cacheFile, JSON.stringify(next, null, 2) + '\n');
  await emb.release();
  return { calibrated: true, thresholds };
}

/** `--only cache`: recalibrates the cache with the pack's built classifier, without retraining. */
export async function recalibrateCache(dir: string, pack: DomainPack): Promise<BuildSummary['cache']> {
  const clf = await loadIntentClassifier(packModelDir(dir, pack, 'classifier'));
  try {
    return await calibrateCache(dir, pack, clf);
  } finally {
    await clf.release();
  }
}

export interface BuildSummary {
  classifier: { dir: string; name: string; version: string; sizeBytes: number };
  data: { train: number; val: number; test: number; sharedSet: string | null };
  eval: Record<string, unknown>;
  cache: { calibrated: boolean; thresholds: { hit: number; stale: number } };
  reports: string[];
  seconds: number;
}

export async function buildPack(dir: string, pack: DomainPack, flags: Record<string, unknown>, log: (...a: unknown[]) => void): Promise<BuildSummary> {
  const t0 = performance.now();
  const options: Partial<ClassifierOptions> = { ...(pack.domain.build?.classifier as Partial<ClassifierOptions> | undefined), ...classifierOverrides(flags) };
  const seed = options.seed ?? 42;
  const ds = packDataset(pack, seed);
  log(`${pack.domain.name}: ${ds.train.length} train, ${ds.val?.length ?? 0} val, ${ds.test.length} test messages${pack.domain.build?.sharedTrainingData ? ` (with ${pack.domain.build.sharedTrainingData.set} rows)` : ''}`);
  const base = await classifierBaseVectors();
  const model = await trainIntentModel(ds, base, options);
  log(`trained in ${model.trainSeconds.toFixed(1)} s; evaluating on the test split…`);
  const { result, predictions, latencyMs } = await evaluateIntent(model, ds.test, 500);
  const out = packModelDir(dir, pack, 'classifier');
  rmSync(out, { recursive: true, force: true });
  const name = `${pack.domain.name}-intent`;
  const version = (flags.version as string | undefined) ?? '1.0.0';
  const manifest = await writeIntentFolder(out, model, base, { name, version, metrics: { ...result, p50Ms: undefined, p99Ms: undefined } });

  const cache = await calibrateCache(dir, pack, model.classifier);
  const reports = join(dir, 'reports');
  mkdirSync(reports, { recursive: true });
  writeIntentReport(join(reports, 'intent.html'), {
    title: `${pack.domain.displayName}: intent classifier`,
    dataset: `${pack.domain.name} test split (${ds.test.length} messages)`,
    model: `${name}@${version}`,
    predictions,
    latencyMs,
    metrics: defaultMetrics(predictions),
    oosTradeoff: result.oosTradeoff ? { chosen: result.oosCut, points: result.oosTradeoff } : undefined,
    notes: [`Built by npm run domain -- build; train ${ds.train.length}, val ${ds.val?.length ?? 0}.`],
  });
  const summary: BuildSummary = {
    classifier: { dir: out, name, version, sizeBytes: manifest.sizeBytes },
    data: { train: ds.train.length, val: ds.val?.length ?? 0, test: ds.test.length, sharedSet: pack.domain.build?.sharedTrainingData?.set ?? null },
    eval: { ...result, oosTradeoff: undefined },
    cache,
    reports: [join(reports, 'intent.html'), join(reports, 'intent.json')],
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  writeFileSync(join(reports, 'intent.json'), JSON.stringify({ ...summary, classifier: { ...summary.classifier, dir: undefined }, reports: undefined }, null, 2) + '\n');
  return summary;
}
