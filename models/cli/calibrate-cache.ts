/**
 * `npm run calibrate:cache`: picks the semantic cache's cosine thresholds for the default
 * embedder on MRPC (paraphrase pairs, ../shared/data/mrpc): `hit` is the lowest threshold whose
 * paraphrase precision on the train split is ≥ 90%, `stale` (served only when the region is down,
 * marked so) the lowest with ≥ 80%. Intent and entity matching come on top of this at run time.
 * Writes domains/kitsune-books/cache.json and prints test-split precision and recall.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMrpc, repoRoot } from '../pipeline/datasets.ts';
import { hitsAt, scorePairs, type ScoredPair } from '../../shared/eval/paraphrase-eval.ts';
import { loadSentenceEmbedder } from '../pipeline/load-node.ts';

const emb = await loadSentenceEmbedder(join(repoRoot(), 'models', 'default', 'embedder'));

function lowestWith(data: ScoredPair[], precision: number): number {
  for (let t = 0.5; t <= 0.99; t += 0.005) if (hitsAt(data, t).precision >= precision && hitsAt(data, t).n >= 100) return Math.round(t * 1000) / 1000;
  return 0.99;
}

const train = await scorePairs(emb, loadMrpc('train'));
const test = await scorePairs(emb, loadMrpc('test'));
const hit = lowestWith(train, 0.9);
const stale = lowestWith(train, 0.8);
const out = {
  about: 'Semantic-cache thresholds for the default embedder; written by `npm run calibrate:cache` (MRPC train: hit = lowest cosine with >= 90% paraphrase precision, stale = >= 80%).',
  embedder: `${emb.manifest.name}@${emb.manifest.version}`,
  thresholds: { hit, stale },
  refreshMs: 5000,
  mrpcTest: { hit: hitsAt(test, hit), stale: hitsAt(test, stale) },
};
writeFileSync(join(repoRoot(), 'domains', 'kitsune-books', 'cache.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));
