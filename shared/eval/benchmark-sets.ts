/**
 * The public benchmark sets as published (CLINC150, Banking77, STS-B, MRPC), parsed from their
 * files' text. No I/O: the build pipeline and the regional gate read the files from the shared
 * data folder their own way. Bad rows throw with the file and line.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { Dataset, LabeledExample } from '../domain/labelled-examples.ts';
import { OOS } from '../models/intent-classifier.ts';

const clincPairs = z.array(z.tuple([z.string(), z.string()]));
const clincFull = z.object({
  train: clincPairs,
  val: clincPairs,
  test: clincPairs,
  oos_train: clincPairs,
  oos_val: clincPairs,
  oos_test: clincPairs,
});

export function parseClinc150(text: string, file: string): Dataset {
  let json: unknown;
  try {
    json = JSON.parse(text);
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

export function parseBanking77Csv(text: string, file: string, categories: ReadonlySet<string>): LabeledExample[] {
  let records: string[][];
  try {
    records = parseCsv(text, {
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

/** Banking77's categories.json: a JSON array of category names. */
export function parseBanking77Categories(text: string, file: string): Set<string> {
  const cats = z.array(z.string()).safeParse(JSON.parse(text));
  if (!cats.success) throw new Error(`${file}: expected a JSON array of category names`);
  return new Set(cats.data);
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

export function parseStsb(text: string, file: string): StsPair[] {
  const out: StsPair[] = [];
  const lines = text.split('\n');
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
// MRPC

export interface ParaphrasePair {
  s1: string;
  s2: string;
  /** 1 = paraphrase. */
  label: 0 | 1;
}

/** MRPC (Microsoft Research Paraphrase Corpus) as published: TAB separated, header, BOM. */
export function parseMrpc(text: string, file: string): ParaphrasePair[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n').slice(1);
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
