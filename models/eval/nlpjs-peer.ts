/**
 * NLP.js (@nlpjs/nlp) as a peer baseline for intent classification.
 *
 * Trains `Nlp` (English, neural NLU, autoSave/autoLoad off, training log off, sentiment off) on
 * the train split, then classifies the test split one query at a time with `process`, timing
 * each call. Intent "None" (returned by NLP.js when the best score is below its threshold, 0.5
 * by default) is mapped to OOS; OOS rows of train are added as intent "None", NLP.js's own
 * out-of-scope class.
 *
 * No English stemmer is installed (@nlpjs/lang-en / lang-en-min are not dependencies), so NLP.js
 * runs with its core pipeline: NFD + lowercase normalizer, punctuation/space tokenizer, no stemming.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { OOS, type Dataset } from '../pipeline/types.js';
import { accuracy, inScopeAccuracy, macroF1, oosRecall, percentile, type Prediction } from '../../shared/eval/metrics.ts';

/** NLP.js's out-of-scope intent. */
export const NLPJS_NONE = 'None';

// @nlpjs ships CommonJS without type declarations: load it with require and type what is used.
interface NlpjsResult {
  intent: string;
  score: number;
}
interface NlpjsDomain {
  settings: Record<string, unknown>;
}
interface NlpjsNlp {
  settings: Record<string, unknown>;
  container: {
    register(name: string, value: unknown, isSingleton?: boolean): void;
    getConfiguration(tag: string): Record<string, unknown> | undefined;
    registerConfiguration(tag: string, config: Record<string, unknown>, overwrite?: boolean): void;
  };
  nluManager: { domainManagers: Record<string, { domains: Record<string, NlpjsDomain> }> };
  addLanguage(locales: string | string[]): void;
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<unknown>;
  process(locale: string, utterance: string): Promise<NlpjsResult>;
}
type NlpCtor = new (settings?: Record<string, unknown>) => NlpjsNlp;

const require = createRequire(import.meta.url);

function loadNlpClass(): NlpCtor {
  const mod = require('@nlpjs/nlp') as { Nlp: NlpCtor };
  return mod.Nlp;
}

const quietLogger = {
  trace() {},
  debug() {},
  info() {},
  log() {},
  warn() {},
  error() {},
  fatal() {},
};

export interface NlpjsPeerOptions {
  /** Split to evaluate on (default 'test'). */
  split?: 'test' | 'val';
  /** NLP.js score threshold under which the intent becomes "None" (default: NLP.js's 0.5). */
  threshold?: number;
  /** Warm-up `process` calls (on train texts) before timing (default 50). */
  warmup?: number;
  /** Evaluate at most this many examples (default: all). */
  limit?: number;
  /** Called every 1,000 evaluated examples. */
  onProgress?: (done: number, total: number) => void;
}

export interface NlpjsPeerResult {
  name: 'nlpjs';
  dataset: string;
  split: 'test' | 'val';
  nTrain: number;
  nEval: number;
  /** Accuracy over all evaluated examples (OOS as a class). */
  accuracy: number;
  inScopeAccuracy: number;
  /** null when the evaluated split has no OOS. */
  oosRecall: number | null;
  macroF1: number;
  /** Single-query warm latency of `process`, in ms. */
  p50Ms: number;
  p99Ms: number;
  trainSeconds: number;
  threshold: number;
  /** Per-example predictions (confidence = NLP.js score; 1 for "None", as NLP.js reports it). */
  predictions: Prediction[];
}

/** Creates a quiet, untrained NLP.js `Nlp` for English (no autoSave/autoLoad, no training log). */
export function createNlpjs(threshold?: number): NlpjsNlp {
  const Nlp = loadNlpClass();
  const settings: Record<string, unknown> = {
    languages: ['en'],
    autoSave: false,
    autoLoad: false,
    calculateSentiment: false,
  };
  if (threshold !== undefined) settings.threshold = threshold;
  const nlp = new Nlp(settings);
  nlp.container.register('logger', quietLogger, true);
  // The per-epoch training log is on by default ('nlu-??' config, log: true); NLU domains created
  // later read 'nlu-en', the ones already created are patched in place.
  const base = nlp.container.getConfiguration('nlu-??') ?? {};
  nlp.container.registerConfiguration('nlu-en', { ...base, log: false }, true);
  for (const dm of Object.values(nlp.nluManager.domainManagers)) {
    for (const d of Object.values(dm.domains)) d.settings.log = false;
  }
  return nlp;
}

/** Maps an NLP.js intent to the dataset label space ("None" -> OOS). */
export function fromNlpjsIntent(intent: string | undefined): string {
  return !intent || intent === NLPJS_NONE ? OOS : intent;
}

/** Trains NLP.js on `ds.train` and evaluates it on `ds.test` (or `ds.val`). */
export async function trainNlpjsPeer(ds: Dataset, opts: NlpjsPeerOptions = {}): Promise<NlpjsPeerResult> {
  const split = opts.split ?? 'test';
  const evalRows = split === 'val' ? ds.val : ds.test;
  if (!evalRows) throw new Error(`trainNlpjsPeer: dataset ${ds.name} has no ${split} split`);
  const rows = opts.limit !== undefined ? evalRows.slice(0, opts.limit) : evalRows;

  const nlp = createNlpjs(opts.threshold);
  const t0 = performance.now();
  for (const ex of ds.train) nlp.addDocument('en', ex.text, ex.label === OOS ? NLPJS_NONE : ex.label);
  await nlp.train();
  const trainSeconds = (performance.now() - t0) / 1000;

  // Warm up on train texts (not the eval texts: NLP.js caches prepared inputs per text).
  const warm = Math.min(opts.warmup ?? 50, ds.train.length);
  for (let i = 0; i < warm; i++) await nlp.process('en', ds.train[(i * 7919) % ds.train.length].text);

  const predictions: Prediction[] = [];
  const latencies: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const ex = rows[i];
    const s = performance.now();
    const out = await nlp.process('en', ex.text);
    latencies.push(performance.now() - s);
    predictions.push({ gold: ex.label, label: fromNlpjsIntent(out.intent), confidence: out.score });
    if (opts.onProgress && (i + 1) % 1000 === 0) opts.onProgress(i + 1, rows.length);
  }

  return {
    name: 'nlpjs',
    dataset: ds.name,
    split,
    nTrain: ds.train.length,
    nEval: rows.length,
    accuracy: accuracy(predictions),
    inScopeAccuracy: inScopeAccuracy(predictions),
    oosRecall: oosRecall(predictions),
    macroF1: macroF1(predictions),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    trainSeconds,
    threshold: (nlp.settings.threshold as number | undefined) ?? 0.5,
    predictions,
  };
}
