import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  datasetLabels,
  datasetSha256,
  loadBanking77,
  loadClinc150,
  loadJsonlDataset,
  loadStsb,
  sharedDataDir,
  splitValidation,
} from '../models/pipeline/datasets.js';
import { OOS, type Dataset, type LabeledExample } from '../models/pipeline/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'switchyard-ds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeSet(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  return dir;
}

const row = (text: string, label: string) => JSON.stringify({ text, label });

describe('loadJsonlDataset', () => {
  it('reads train / optional val / test', () => {
    const dir = writeSet('ok', {
      'train.jsonl': [row('hi', 'greet'), row('bye', 'leave'), '', row('weather?', OOS)].join('\n') + '\n',
      'test.jsonl': row('hello', 'greet') + '\r\n',
    });
    const ds = loadJsonlDataset(dir);
    expect(ds.name).toBe('ok');
    expect(ds.train).toEqual([
      { text: 'hi', label: 'greet' },
      { text: 'bye', label: 'leave' },
      { text: 'weather?', label: 'oos' },
    ]);
    expect(ds.val).toBeUndefined();
    expect(ds.test).toHaveLength(1);
    writeFileSync(join(dir, 'val.jsonl'), row('yo', 'greet'));
    expect(loadJsonlDataset(dir, 'named').val).toEqual([{ text: 'yo', label: 'greet' }]);
  });

  it('throws an error naming the file and line of a malformed line', () => {
    const bad = writeSet('badjson', {
      'train.jsonl': [row('a', 'x'), row('b', 'y'), '{"text": "c", "label": ', row('d', 'z')].join('\n'),
      'test.jsonl': row('a', 'x'),
    });
    expect(() => loadJsonlDataset(bad)).toThrow(/train\.jsonl:3: invalid JSON/);

    const wrongType = writeSet('badtype', {
      'train.jsonl': row('a', 'x'),
      'test.jsonl': [row('a', 'x'), '', JSON.stringify({ text: 'b', label: 5 })].join('\n'),
    });
    expect(() => loadJsonlDataset(wrongType)).toThrow(/test\.jsonl:3: .*label/);

    const missing = writeSet('badmissing', {
      'train.jsonl': JSON.stringify({ text: 'no label' }),
      'test.jsonl': row('a', 'x'),
    });
    expect(() => loadJsonlDataset(missing)).toThrow(/train\.jsonl:1: .*label/);

    const noTest = writeSet('notest', { 'train.jsonl': row('a', 'x') });
    expect(() => loadJsonlDataset(noTest)).toThrow(/test\.jsonl: missing/);
  });
});

describe('splitValidation', () => {
  const labels = ['a', 'b', 'c'];
  const sizes = [40, 20, 3];
  const train: LabeledExample[] = [];
  labels.forEach((l, i) => {
    for (let k = 0; k < sizes[i]; k++) train.push({ text: `${l}-${k}`, label: l });
  });
  // interleave so that order preservation is observable
  train.sort((x, y) => Number(x.text.split('-')[1]) - Number(y.text.split('-')[1]));
  const ds: Dataset = { name: 'toy', train, test: [] };

  it('is deterministic for a seed and differs across seeds', () => {
    const a = splitValidation(ds, 0.1, 7);
    const b = splitValidation(ds, 0.1, 7);
    const c = splitValidation(ds, 0.1, 8);
    expect(a).toEqual(b);
    expect(datasetSha256(a)).toBe(datasetSha256(b));
    expect(c.val).not.toEqual(a.val);
  });

  it('is stratified, disjoint, complete and order preserving', () => {
    const s = splitValidation(ds, 0.1, 7);
    const count = (rows: LabeledExample[], l: string) => rows.filter((r) => r.label === l).length;
    expect(count(s.val!, 'a')).toBe(4);
    expect(count(s.val!, 'b')).toBe(2);
    expect(count(s.val!, 'c')).toBe(1); // at least one per label with >= 2 examples
    expect(s.train.length + s.val!.length).toBe(train.length);
    const all = new Set([...s.train, ...s.val!].map((r) => r.text));
    expect(all.size).toBe(train.length);
    const pos = new Map(train.map((r, i) => [r.text, i]));
    for (const part of [s.train, s.val!]) {
      const idx = part.map((r) => pos.get(r.text)!);
      expect(idx).toEqual([...idx].sort((x, y) => x - y));
    }
  });

  it('leaves a dataset with val untouched', () => {
    const withVal: Dataset = { ...ds, val: [{ text: 'v', label: 'a' }] };
    expect(splitValidation(withVal)).toBe(withVal);
  });
});

describe('datasetSha256', () => {
  it('is stable and sensitive to content', () => {
    const ds: Dataset = { name: 'x', train: [{ text: 'a', label: 'b' }], test: [] };
    const h = datasetSha256(ds);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(datasetSha256({ ...ds, name: 'other' })).toBe(h);
    expect(datasetSha256({ ...ds, train: [{ text: 'a', label: 'c' }] })).not.toBe(h);
    expect(datasetSha256({ ...ds, val: [] })).not.toBe(h);
  });
});

const haveData = existsSync(join(sharedDataDir(), 'clinc150', 'data_full.json'));

describe('shared public data', () => {
  it('is present beside the repository (../shared/data or SWITCHYARD_DATA)', () => {
    expect(haveData).toBe(true);
  });

  it('CLINC150 full: documented counts', () => {
    const ds = loadClinc150();
    expect(ds.name).toBe('clinc150');
    expect(ds.train).toHaveLength(15_100);
    expect(ds.val).toHaveLength(3_100);
    expect(ds.test).toHaveLength(5_500);
    expect(ds.train.filter((e) => e.label === OOS)).toHaveLength(100);
    expect(ds.val!.filter((e) => e.label === OOS)).toHaveLength(100);
    expect(ds.test.filter((e) => e.label === OOS)).toHaveLength(1_000);
    const labels = datasetLabels(ds);
    expect(labels).toHaveLength(151);
    expect(labels).toContain(OOS);
    const perIntent = new Map<string, number>();
    for (const e of ds.train) perIntent.set(e.label, (perIntent.get(e.label) ?? 0) + 1);
    for (const [l, n] of perIntent) expect(n, l).toBe(100);
  });

  it('Banking77: documented counts incl. the quoted multi-line rows, no val', () => {
    const ds = loadBanking77();
    expect(ds.train).toHaveLength(10_003);
    expect(ds.test).toHaveLength(3_080);
    expect(ds.val).toBeUndefined();
    expect(datasetLabels(ds)).toHaveLength(77);
    const multiline = [...ds.train, ...ds.test].filter((e) => /[\r\n]/.test(e.text));
    expect(multiline).toHaveLength(13);
    expect(ds.train.some((e) => e.text.includes('I put the wrong pin too many times'))).toBe(true);

    const s = splitValidation(ds, 0.1, 42);
    expect(s.train.length + s.val!.length).toBe(10_003);
    expect(new Set(s.val!.map((e) => e.label)).size).toBe(77);
    expect(s.val!.length).toBeGreaterThan(950);
    expect(s.val!.length).toBeLessThan(1050);
  });

  it('STS-B: pair counts, raw quotes kept', () => {
    expect(loadStsb('train')).toHaveLength(5_749);
    const dev = loadStsb('dev');
    expect(dev).toHaveLength(1_500);
    expect(loadStsb('test')).toHaveLength(1_379);
    expect(dev[0]).toMatchObject({ s1: expect.any(String), s2: expect.any(String), score: expect.any(Number) });
    expect(dev.some((p) => p.s2.includes('"u2"'))).toBe(true);
    for (const p of dev) expect(p.score >= 0 && p.score <= 5).toBe(true);
  });
});
