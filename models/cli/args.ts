/** Minimal `--name value` / `--flag` parsing for the model CLIs (node:util parseArgs). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadBanking77, loadClinc150, loadJsonlDataset } from '../pipeline/datasets.ts';
import type { ClassifierOptions } from '../pipeline/classifier.ts';
import type { Dataset } from '../pipeline/types.ts';

export function cliArgs(options: NonNullable<ParseArgsConfig['options']>) {
  return parseArgs({ args: process.argv.slice(2), options, allowPositionals: true, strict: true });
}

/** A dataset folder in any supported layout: JSONL splits, CLINC150 data_full.json, Banking77 CSVs. */
export function loadAnyDataset(dir: string): Dataset {
  if (existsSync(join(dir, 'train.jsonl'))) return loadJsonlDataset(dir);
  if (existsSync(join(dir, 'data_full.json'))) return loadClinc150(join(dir, 'data_full.json'));
  if (existsSync(join(dir, 'train.csv')) && existsSync(join(dir, 'categories.json'))) return loadBanking77(dir);
  throw new Error(`${dir}: no train.jsonl, data_full.json (CLINC150) or train.csv + categories.json (Banking77) found`);
}

/** Command-line flags that override the classifier's training settings. */
export const CLASSIFIER_FLAGS = {
  epochs: { type: 'string' },
  seed: { type: 'string' },
  hidden: { type: 'string' },
  lr: { type: 'string' },
  buckets: { type: 'string' },
  'bigram-dim': { type: 'string' },
  'hidden-dropout': { type: 'string' },
  'input-dropout': { type: 'string' },
  'word-dropout': { type: 'string' },
  'oos-weight': { type: 'string' },
  'oos-prior': { type: 'string' },
  heads: { type: 'string' },
  'adapt-epochs': { type: 'string' },
  'adapt-lr': { type: 'string' },
} as const;

const FLAG_TO_OPTION: Record<keyof typeof CLASSIFIER_FLAGS, keyof ClassifierOptions> = {
  epochs: 'epochs',
  seed: 'seed',
  hidden: 'hidden',
  lr: 'lr',
  buckets: 'bigramBuckets',
  'bigram-dim': 'bigramDim',
  'hidden-dropout': 'hiddenDropout',
  'input-dropout': 'inputDropout',
  'word-dropout': 'wordDropout',
  'oos-weight': 'oosWeight',
  'oos-prior': 'oosPrior',
  heads: 'heads',
  'adapt-epochs': 'adaptEpochs',
  'adapt-lr': 'adaptLr',
};

export function classifierOverrides(values: Record<string, unknown>): Partial<ClassifierOptions> {
  const out: Record<string, number> = {};
  for (const [flag, option] of Object.entries(FLAG_TO_OPTION)) {
    const v = values[flag];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number, got ${String(v)}`);
    out[option] = n;
  }
  return out as Partial<ClassifierOptions>;
}
