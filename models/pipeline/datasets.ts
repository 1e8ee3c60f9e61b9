/**
 * Dataset loaders of the model pipeline.
 *
 * Public benchmark data is read, never copied, from the shared data folder
 * (`SWITCHYARD_DATA`, else `<repo root>/../shared/data`; see its README.md).
 * Every loader returns the `Dataset` contract of ./types.ts; out-of-scope rows carry the label `OOS`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetOf } from '../../shared/domain/labelled-examples.ts';
import { parseBanking77Categories, parseBanking77Csv, parseClinc150, parseMrpc, parseStsb, type ParaphrasePair, type StsPair, type StsSplit } from '../../shared/eval/benchmark-sets.ts';

export type { ParaphrasePair, StsPair, StsSplit };
import { OOS, type Dataset, type LabeledExample } from './types.js';

// ---------------------------------------------------------------------------------------------
// Locations

/** The repository root: the nearest folder, upwards from this file, that holds a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * The shared, read-only data folder: env `SWITCHYARD_DATA` when set (resolved against the
 * working directory), else `../shared/data` relative to the repo root.
 */
export function sharedDataDir(): string {
  const env = process.env.SWITCHYARD_DATA;
  if (env && env.trim() !== '') return resolve(env);
  return resolve(repoRoot(), '..', 'shared', 'data');
}

/** A path inside the shared data folder; throws a readable error when it does not exist. */
export function sharedDataPath(...parts: string[]): string {
  const p = join(sharedDataDir(), ...parts);
  if (!existsSync(p)) {
    throw new Error(
      `shared data not found: ${p} (set SWITCHYARD_DATA or place the data at <repo>/../shared/data)`,
    );
  }
  return p;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// JSONL

/**
 * A dataset folder holding train.jsonl, optional val.jsonl and test.jsonl, one
 * `{"text","label"}` object per line (label "oos" = out of scope).
 */
export function loadJsonlDataset(dir: string, name: string = basename(resolve(dir))): Dataset {
  return datasetOf(name, (split) => {
    const file = join(dir, `${split}.jsonl`);
    return existsSync(file) ? { file, content: readText(file) } : { file };
  });
}

// ---------------------------------------------------------------------------------------------
// CLINC150

/**
 * CLINC150, "full" variant (clinc/oos-eval data_full.json): train = train + oos_train (15,100),
 * val = val + oos_val (3,100), test = test + oos_test (5,500); 150 intents + "oos".
 */
export function loadClinc150(file: string = sharedDataPath('clinc150', 'data_full.json')): Dataset {
  return parseClinc150(readText(file), file);
}

// ---------------------------------------------------------------------------------------------
// Banking77

/**
 * Banking77 (PolyAI task-specific-datasets): train 10,003 / test 3,080, 77 categories, no OOS.
 * The source has no validation split: `val` is undefined (see `splitValidation`).
 */
export function loadBanking77(dir: string = sharedDataPath('banking77')): Dataset {
  const catFile = join(dir, 'categories.json');
  const categories = parseBanking77Categories(readText(catFile), catFile);
  const split = (file: string) => parseBanking77Csv(readText(file), file, categories);
  return { name: 'banking77', train: split(join(dir, 'train.csv')), test: split(join(dir, 'test.csv')) };
}

// ---------------------------------------------------------------------------------------------
// Validation carve-out

/** mulberry32: small deterministic PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic stratified carve-out of a validation split from train, for sets without one.
 * Per label (labels visited in sorted order, indices shuffled with a seeded PRNG),
 * round(n * fraction) examples go to val, at least 1 when the label has >= 2 examples and never
 * all of them. Both resulting splits keep the original train order. A dataset that already has
 * `val` is returned unchanged. Same input + fraction + seed => same split.
 */
export function splitValidation(ds: Dataset, fraction = 0.1, seed = 1234): Dataset {
  if (ds.val) return ds;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`splitValidation: fraction must be in (0, 1), got ${fraction}`);
  const byLabel = new Map<string, number[]>();
  ds.train.forEach((ex, i) => {
    const list = byLabel.get(ex.label);
    if (list) list.push(i);
    else byLabel.set(ex.label, [i]);
  });
  const rand = mulberry32(seed);
  const toVal = new Set<number>();
  for (const label of [...byLabel.keys()].sort()) {
    const idx = byLabel.get(label)!.slice();
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    let k = Math.round(idx.length * fraction);
    if (idx.length >= 2) k = Math.min(Math.max(k, 1), idx.length - 1);
    else k = 0;
    for (let i = 0; i < k; i++) toVal.add(idx[i]);
  }
  const train: LabeledExample[] = [];
  const val: LabeledExample[] = [];
  ds.train.forEach((ex, i) => (toVal.has(i) ? val : train).push(ex));
  return { ...ds, train, val };
}

// ---------------------------------------------------------------------------------------------
// STS Benchmark

/**
 * STS Benchmark pairs. The files are TAB separated without quoting (lines contain raw `"`):
 * genre, filename, year, id, score, sentence1, sentence2 [, source, licence].
 */
export function loadStsb(split: StsSplit, dir: string = sharedDataPath('stsb')): StsPair[] {
  const file = join(dir, `sts-${split}.csv`);
  return parseStsb(readText(file), file);
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

/**
 * sha256 (hex) over a canonical serialization of the splits (the name is not included):
 * for train, val, test in this order a line `#<split> <count>` (`#val absent` when missing),
 * then one line per example, `JSON.stringify([text, label])`. Example order matters.
 */
export function datasetSha256(ds: Dataset): string {
  const h = createHash('sha256');
  const splits: [string, LabeledExample[] | undefined][] = [
    ['train', ds.train],
    ['val', ds.val],
    ['test', ds.test],
  ];
  for (const [name, rows] of splits) {
    if (!rows) {
      h.update(`#${name} absent\n`);
      continue;
    }
    h.update(`#${name} ${rows.length}\n`);
    for (const ex of rows) h.update(`${JSON.stringify([ex.text, ex.label])}\n`);
  }
  return h.digest('hex');
}

/** Sorted distinct labels over all splits. */
export function datasetLabels(ds: Dataset): string[] {
  const s = new Set<string>();
  for (const rows of [ds.train, ds.val ?? [], ds.test]) for (const ex of rows) s.add(ex.label);
  return [...s].sort();
}

/** MRPC (Microsoft Research Paraphrase Corpus) as published: TAB separated, header, BOM. */
export function loadMrpc(split: 'train' | 'test', dir: string = sharedDataPath('mrpc')): ParaphrasePair[] {
  const file = join(dir, `msr_paraphrase_${split}.txt`);
  return parseMrpc(readText(file), file);
}
