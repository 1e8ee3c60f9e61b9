/**
 * Trains, calibrates and exports an intent classifier on any labeled dataset, starting from the
 * word vectors of a static embedder: a built folder's (loadBaseVectors) or the unsupervised
 * recipe's rebuilt from GloVe (base-vectors.ts, the default).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { calibrateDecline } from '../eval/decline-threshold.ts';
import { decideIntent, IntentClassifier, type IntentPrediction } from '../../shared/models/intent-classifier.ts';
import type { OrtTensorConstructor } from '../../shared/models/onnx-session.ts';
import type { ModelManifest } from '../../shared/models/manifest.ts';
import type { WordPieceTokenizer } from '../../shared/tokenizer/wordpiece.ts';
import { calibrateThreshold, priorWeights, type Prediction } from '../../shared/eval/metrics.ts';
import { DEFAULT_CLASSIFIER, dropWordRows, quantizeClassifier, trainIntentHeads, type ClassifierOptions, type FloatIntentModel } from './classifier.ts';
import { datasetLabels, datasetSha256, splitValidation } from './datasets.ts';
import { classifierConfig, writeHfModelFolder } from './hf-folder.ts';
import { writeManifest } from './manifest-writer.ts';
import { buildClassifierOnnx } from './onnx/classifier-graph.ts';
import { embedderTableFromOnnx } from './onnx/embedder-table.ts';
import { dequantize } from './quantize.ts';
import { OOS, type ClassifierWeights, type Dataset, type LabeledExample } from './types.ts';
import { loadModelFolder, nodeSession } from './load-node.ts';

export interface BaseVectors {
  tokenizer: WordPieceTokenizer;
  tokenizerJson: object;
  tokenizerConfig: object;
  rows: Float32Array;
  dim: number;
  /** The embedder the rows come from (its name and version go into the classifier's manifest). */
  embedder: Pick<ModelManifest, 'name' | 'version'>;
}

/** The dequantized token vectors of a built embedder folder (verified against its manifest). */
export async function loadBaseVectors(embedderDir: string): Promise<BaseVectors> {
  const f = await loadModelFolder(embedderDir);
  const json = async (p: string) => JSON.parse(await readFile(join(embedderDir, p), 'utf8'));
  return baseVectorsFromOnnx(f.onnx, embedderDir, { tokenizer: f.tokenizer, tokenizerJson: await json('tokenizer.json'), tokenizerConfig: await json('tokenizer_config.json'), embedder: f.manifest });
}

/** The token table of an embedder graph (int8 or 4-bit rows), dequantized. */
export function baseVectorsFromOnnx(onnx: Uint8Array, source: string, meta: Omit<BaseVectors, 'rows' | 'dim'>): BaseVectors {
  const table = embedderTableFromOnnx(onnx, source);
  const dim = table.dim;
  return { ...meta, rows: dequantize(table), dim };
}

/**
 * Routing trusts an intent when, on validation re-weighted to the assumed out-of-scope prior
 * (ClassifierOptions.oosPrior), its precision is >= 99% at one-sided confidence (Wilson bound on
 * Kish's effective sample size): 95% where validation is large enough to show it, else 90%, and
 * only when even that is out of reach (a few hundred messages) the observed 99% with no margin.
 */
export const ROUTE_MIN_PRECISION = 0.99;
export const ROUTE_RULES = [
  { rule: 'wilson95', z: 1.645 },
  { rule: 'wilson90', z: 1.282 },
  { rule: 'observed', z: 0 },
] as const;
export type RouteRule = (typeof ROUTE_RULES)[number]['rule'];

/** The strictest rule of ROUTE_RULES whose calibration is feasible (the last one when none is). */
export function strictestFeasible<T extends { feasible: boolean }>(calibrate: (z: number) => T): T & { rule: RouteRule } {
  let last: (T & { rule: RouteRule }) | undefined;
  for (const { rule, z } of ROUTE_RULES) {
    last = { ...calibrate(z), rule };
    if (last.feasible) return last;
  }
  return last!;
}

export interface IntentCalibration {
  /**
   * Softmax temperature fitted on validation, already folded into the output layer (with several
   * heads: the ensemble's, folded into its logit scale; `headTemperatures` has each head's).
   */
  temperature: number;
  headTemperatures?: number[];
  oosThreshold: number;
  routeThreshold: number;
  /** On the validation split, at routeThreshold. */
  routePrecision: number;
  routeCoverage: number;
  /**
   * 'wilson95' / 'wilson90': the lower 95% / 90% one-sided bound of val precision >= 99%;
   * 'observed': val precision >= 99% (validation too small for either bound).
   */
  routeRule: RouteRule;
  /** The out-of-scope share validation was re-weighted to (0 when validation has no oos). */
  oosPrior: number;
  /** Kish effective sample size of the routed validation messages. */
  routeEffectiveN: number;
  /** Top-label `oos` at or above this is declined with no LLM (absent: val has no oos, or no threshold is precise enough). */
  declineThreshold?: number;
  /** On the validation split, at declineThreshold: share of val declined, and the share of those really out of scope. */
  declinePrecision?: number;
  declineCoverage?: number;
}

export interface TrainedIntentModel {
  weights: ClassifierWeights;
  float: FloatIntentModel;
  classifier: IntentClassifier;
  onnx: Uint8Array;
  labels: string[];
  calibration: IntentCalibration;
  trainSeconds: number;
  dataset: Dataset;
  options: ClassifierOptions;
  /** With `rowTexts`: how many word rows unseen in training the file keeps (the rest read as zeros). */
  keptWordRows?: number;
}

/**
 * The word rows a classifier keeps besides those seen in training: the words of its domain's own
 * texts (validation, catalog, FAQ, policies; never the test split) and the continuation pieces
 * (`##ing`) that unknown words and typos split into. On the store, keeping all 34k GloVe rows
 * instead gave no accuracy (BENCHMARKS.md, "Widget first open under 4 MB") and 1.3 MB more brotli.
 */
export function keptWordRows(tokenizer: WordPieceTokenizer, rowTexts: readonly string[]): Set<number> {
  const kept = new Set(rowTexts.flatMap((t) => tokenizer.encode(t)));
  tokenizer.idToToken.forEach((token, id) => {
    if (token.startsWith('##')) kept.add(id);
  });
  return kept;
}

export function toPrediction(gold: string, p: IntentPrediction): Prediction {
  return { gold, label: p.intent, confidence: p.confidence };
}

export async function predictAll(clf: IntentClassifier, examples: LabeledExample[], batch = 64): Promise<IntentPrediction[]> {
  const out: IntentPrediction[] = [];
  for (let i = 0; i < examples.length; i += batch) out.push(...(await clf.classify(examples.slice(i, i + batch).map((e) => e.text))));
  return out;
}

/**
 * Out-of-scope threshold: the top-probability cut below which a message is out of scope, chosen
 * to maximise accuracy over the whole validation split (0 when it has no out-of-scope example).
 * Unweighted on purpose: re-weighting validation to the deployment prior here moves the cut far
 * up (CLINC150: 0.25 -> 0.60, in-scope accuracy -3.4 points for +38 points of oos recall); the
 * prior is used where a wrong answer costs most, the routing threshold.
 */
function chooseOosThreshold(val: LabeledExample[], preds: IntentPrediction[]): number {
  if (!val.some((e) => e.label === OOS)) return 0;
  const rows = val.map((e, i) => ({ gold: e.label, top: preds[i].topLabel, conf: preds[i].confidence }));
  const candidates = [0, ...new Set(rows.map((r) => r.conf))].sort((a, b) => a - b);
  let best = 0;
  let bestCorrect = -1;
  for (const t of candidates) {
    let correct = 0;
    for (const r of rows) correct += (r.top === OOS || r.conf < t ? OOS : r.top) === r.gold ? 1 : 0;
    if (correct > bestCorrect) (bestCorrect = correct), (best = t);
  }
  return best;
}

/**
 * Trains on `input` from `base`'s rows. With `rowTexts`, word rows neither seen in training nor in
 * keptWordRows(rowTexts) are dropped from the file (and zeroed in the float model, so both agree).
 */
export async function trainIntentModel(
  input: Dataset,
  base: BaseVectors,
  options: Partial<ClassifierOptions> = {},
  rowTexts?: readonly string[],
): Promise<TrainedIntentModel> {
  const opts = { ...DEFAULT_CLASSIFIER, ...options };
  const dataset = input.val ? input : splitValidation(input, 0.1, opts.seed);
  const labels = datasetLabels(dataset);
  const index = new Map(labels.map((l, i) => [l, i]));
  const t0 = performance.now();
  const encode = (e: LabeledExample) => ({ ids: base.tokenizer.encode(e.text), label: index.get(e.label)! });
  const trainEncoded = dataset.train.map(encode);
  const valEncoded = dataset.val!.filter((e) => index.has(e.label)).map(encode);
  const float = trainIntentHeads(base.rows, base.dim, trainEncoded, valEncoded, labels, opts);
  const temperature = float.temperatures[float.temperatures.length - 1];
  const trainSeconds = (performance.now() - t0) / 1000;
  // Rows seen in training keep int8; the rest (static vectors the trainer never touched) go 4-bit.
  const seen = new Set(trainEncoded.flatMap((e) => e.ids));
  const kept = rowTexts ? keptWordRows(base.tokenizer, rowTexts) : undefined;
  if (kept) dropWordRows(float, (r) => !seen.has(r) && !kept.has(r));
  const weights = quantizeClassifier(float, seen, kept);
  const onnx = buildClassifierOnnx(weights);
  const Tensor = ort.Tensor as unknown as OrtTensorConstructor;
  const session = await nodeSession(onnx);
  const uncalibrated = new IntentClassifier(base.tokenizer, session, Tensor, labels, { oosThreshold: 0, routeThreshold: 1 });
  const valPreds = await predictAll(uncalibrated, dataset.val!);
  // Validation's out-of-scope share is whatever the data set has (CLINC150: 100 in 3,100); the
  // routing promise is made for the deployment share opts.oosPrior.
  const hasOos = dataset.val!.some((e) => e.label === OOS);
  const valWeights = priorWeights(dataset.val!.map((e) => e.label), opts.oosPrior);
  const oosThreshold = chooseOosThreshold(dataset.val!, valPreds);
  const decided = dataset.val!.map((e, i) =>
    toPrediction(e.label, decideIntent(valPreds[i].topLabel, valPreds[i].confidence, { oosThreshold, routeThreshold: 1 })),
  );
  // 99% precision at the strongest confidence validation can show (ROUTE_RULES); the calibration
  // says which rule applied.
  const route = strictestFeasible((z) => calibrateThreshold(decided, { minPrecision: ROUTE_MIN_PRECISION, z, weights: valWeights }));
  const declineRows = dataset.val!.map((e, i) => ({ gold: e.label, topLabel: valPreds[i].topLabel, confidence: valPreds[i].confidence }));
  const decline = strictestFeasible((z) => calibrateDecline(declineRows, { minPrecision: ROUTE_MIN_PRECISION, z }));
  const calibration: IntentCalibration = {
    temperature,
    ...(float.heads.length > 1 ? { headTemperatures: float.temperatures.slice(0, -1) } : {}),
    oosThreshold,
    routeThreshold: Number.isFinite(route.threshold) ? route.threshold : 1,
    routePrecision: route.precision,
    routeCoverage: route.coverage,
    routeRule: route.rule,
    oosPrior: hasOos ? opts.oosPrior : 0,
    routeEffectiveN: route.effectiveCount,
    ...(decline.feasible ? { declineThreshold: decline.threshold, declinePrecision: decline.precision, declineCoverage: decline.coverage } : {}),
  };
  const classifier = new IntentClassifier(base.tokenizer, session, Tensor, labels, calibration);
  const keptCount = kept ? [...kept].filter((r) => !seen.has(r)).length : undefined;
  return { weights, float, classifier, onnx, labels, calibration, trainSeconds, dataset, options: opts, ...(keptCount !== undefined ? { keptWordRows: keptCount } : {}) };
}

export async function writeIntentFolder(
  dir: string,
  m: TrainedIntentModel,
  base: BaseVectors,
  meta: { name: string; version: string; metrics: Record<string, unknown> },
): Promise<ModelManifest> {
  const config = { ...classifierConfig(m.labels, base.tokenizer.vocabSize), switchyard: m.calibration };
  await writeHfModelFolder(dir, { onnx: m.onnx, config, tokenizerJson: base.tokenizerJson, tokenizerConfig: base.tokenizerConfig });
  return writeManifest(dir, {
    name: meta.name,
    version: meta.version,
    kind: 'intent-classifier',
    trainingDataSha256: datasetSha256(m.dataset),
    settings: {
      ...m.options,
      embedder: `${base.embedder.name}@${base.embedder.version}`,
      ...(m.keptWordRows !== undefined ? { unseenWordRows: `${m.keptWordRows} kept (domain texts, continuation pieces), the rest zero` } : {}),
      calibration: m.calibration,
    },
    seed: m.options.seed,
    metrics: meta.metrics,
  });
}
