/**
 * `npm run calibrate:cache`: picks the semantic cache's cosine thresholds for the default
 * embedder on MRPC (paraphrase pairs, ../shared/data/mrpc): `hit` is the lowest threshold whose
 * paraphrase precision on the train split is ≥ 90%, `stale` (served only when the region is down,
 * marked so) the lowest with ≥ 80%. Intent and entity matching come on top of this at run time.
 * Writes models/data/store/cache.json and prints test-split precision and recall.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedDataPath } from '../pipeline/datasets.ts';
import { loadSentenceEmbedder } from '../runtime/load-node.ts';
import { cosine } from '../../shared/models/sentence-embedder.ts';

const emb = await loadSentenceEmbedder(join(repoRoot(), 'models', 'default', 'embedder'));

async function pairs(file: string): Promise<{ s: number; y: number }[]> {
  const rows = readFileSync(sharedDataPath('mrpc', file), 'utf8').replace(/^\uFEFF/, '').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const out: { s: number; y: number }[] = [];
  for (let i = 0; i < rows.length; i += 64) {
    const b = rows.slice(i, i + 64);
    const a = await emb.embed(b.map((r) => r[3]));
    const c = await emb.embed(b.map((r) => r[4]));
    b.forEach((r, j) => out.push({ s: cosine(a[j], c[j]), y: Number(r[0]) }));
  }
  return out;
}

function at(data: { s: number; y: number }[], t: number) {
  const sel = data.filter((x) => x.s >= t);
  const tp = sel.filter((x) => x.y === 1).length;
  return { precision: sel.length ? tp / sel.length : 1, recall: tp / data.filter((x) => x.y === 1).length, n: sel.length };
}

function lowestWith(data: { s: number; y: number }[], precision: number): number {
  for (let t = 0.5; t <= 0.99; t += 0.005) if (at(data, t).precision >= precision && at(data, t).n >= 100) return Math.round(t * 1000) / 1000;
  return 0.99;
}

const train = await pairs('msr_paraphrase_train.txt');
const test = await pairs('msr_paraphrase_test.txt');
const hit = lowestWith(train, 0.9);
const stale = lowestWith(train, 0.8);
const out = {
  about: 'Semantic-cache thresholds for the default embedder; written by `npm run calibrate:cache` (MRPC train: hit = lowest cosine with >= 90% paraphrase precision, stale = >= 80%).',
  embedder: `${emb.manifest.name}@${emb.manifest.version}`,
  thresholds: { hit, stale },
  refreshMs: 5000,
  mrpcTest: { hit: at(test, hit), stale: at(test, stale) },
};
writeFileSync(join(repoRoot(), 'models', 'data', 'store', 'cache.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));
