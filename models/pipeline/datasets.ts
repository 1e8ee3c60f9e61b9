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
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { datasetOf } from '../../shared/domain/labelled-examples.ts';
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

const clincPairs = z.array(z.tuple([z.string(), z.string()]));
const clincFull = z.object({
  train: clincPairs,
  val: clincPairs,
  test: clincPairs,
  oos_train: clincPairs,
  oos_val: clincPairs,
  oos_test: clincPairs,
});

/**
 * CLINC150, "full" variant (clinc/oos-eval data_full.json): train = train + oos_train (15,100),
 * val = val + oos_val (3,100), test = test + oos_test (5,500); 150 intents + "oos".
 */
export function loadClinc150(file: string = sharedDataPath('clinc150', 'data_full.json')): Dataset {
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
  const parsed = clincFull.safeParse(json);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new Error(`${file}: not a CLINC150 data_full.json (${iss.path.join('.')}: ${iss.message})`);
  }
  const d = parsed.data;
  const inScope = (rows: [string, string][]) => rows.map(([text, label]) => ({ text, label }));
  const oos = (rows: [string, string][]) => rows.map(([text]) => ({ text, label: OOS }));
  return {
    name: 'clinc150',
    train: [...inScope(d.train), ...oos(d.oos_train)],
    val: [...inScope(d.val), ...oos(d.oos_val)],
    test: [...inScope(d.test), ...oos(d.oos_test)],
  };
}

// ---------------------------------------------------------------------------------------------
// Banking77

function readBankingCsv(file: string, categories: Set<string>): LabeledExample[] {
  let records: string[][];
  try {
    records = parseCsv(readText(file), {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
    }) as string[][];
  } catch (err) {
    throw new Error(`${file}: CSV parse error (${(err as Error).message})`);
  }
  const [header, ...rows] = records;
  if (!header || header[0] !== 'text' || header[1] !== 'category') {
    throw new Error(`${file}: expected header "text,category", got ${JSON.stringify(header)}`);
  }
  return rows.map((r, i) => {
    const [text, label] = r;
    if (!text || !label) throw new Error(`${file}: record ${i + 1}: empty text or category`);
    if (!categories.has(label)) throw new Error(`${file}: record ${i + 1}: unknown category "${label}"`);
    return { text, label };
  });
}

/**
 * Banking77 (PolyAI task-specific-datasets): train 10,003 / test 3,080, 77 categories, no OOS.
 * The source has no validation split: `val` is undefined (see `splitValidation`).
 */
export function loadBanking77(dir: string = sharedDataPath('banking77')): Dataset {
  const catFile = join(dir, 'categories.json');
  const cats = z.array(z.string()).safeParse(JSON.parse(readText(catFile)));
  if (!cats.success) throw new Error(`${catFile}: expected a JSON array of category names`);
  const categories = new Set(cats.data);
  return {
    name: 'banking77',
    train: readBankingCsv(join(dir, 'train.csv'), categories),
    test: readBankingCsv(join(dir, 'test.csv'), categories),
  };
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

export interface StsPair {
  s1: string;
  s2: string;
  /** Gold similarity, 0 .. 5. */
  score: number;
}

export type StsSplit = 'train' | 'dev' | 'test';

/**
 * STS Benchmark pairs. The files are TAB separated without quoting (lines contain raw `"`):
 * genre, filename, year, id, score, sentence1, sentence2 [, source, licence].
 */
export function loadStsb(split: StsSplit, dir: string = sharedDataPath('stsb')): StsPair[] {
  const file = join(dir, `sts-${split}.csv`);
  const out: StsPair[] = [];
  const lines = readText(file).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length < 7) throw new Error(`${file}:${i + 1}: expected >= 7 TAB-separated fields, got ${f.length}`);
    const score = Number(f[4]);
    if (!Number.isFinite(score) || score < 0 || score > 5) {
      throw new Error(`${file}:${i + 1}: bad score "${f[4]}"`);
    }
    out.push({ s1: f[5], s2: f[6], score });
  }
  return out;
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

export interface ParaphrasePair {
  s1: string;
  s2: string;
  /** 1 = paraphrase. */
  label: 0 | 1;
}

/** MRPC (Microsoft Research Paraphrase Corpus) as published: TAB separated, header, BOM. */
export function loadMrpc(split: 'train' | 'test', dir: string = sharedDataPath('mrpc')): ParaphrasePair[] {
  const file = join(dir, `msr_paraphrase_${split}.txt`);
  const lines = readText(file).replace(/^\uFEFF/, '').split('\n').slice(1);
  const out: ParaphrasePair[] = [];
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    const f = line.split('\t');
    if (f.length < 5 || (f[0] !== '0' && f[0] !== '1')) throw new Error(`${file}:${i + 2}: expected Quality (0/1) and 4 more TAB-separated fields`);
    out.push({ s1: f[3], s2: f[4], label: f[0] === '1' ? 1 : 0 });
  });
  return out;
}
