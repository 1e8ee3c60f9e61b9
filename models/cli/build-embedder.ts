/**
 * `npm run models:embedder -- --out <dir> [--supervised]`: builds a static embedder folder from
 * GloVe (build-time only) and prints its STS-B Spearman. With `--supervised` it is the committed
 * default's recipe (rows fitted to the STS-B train pairs, version 2.0.0); without it the
 * unsupervised one (1.0.0) that classifiers start from. The
 * folder can then go through `npm run gate -- --candidate <dir>`.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { writeEmbedderFolder } from '../pipeline/embedder-folder.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, supervised: { type: 'boolean' }, version: { type: 'string' } } });
if (!values.out) {
  console.error('usage: npm run models:embedder -- --out <dir> [--supervised] [--version x.y.z]');
  process.exit(2);
}
const dir = resolve(values.out);
const recipe = values.supervised ? 'supervised' : 'unsupervised';
const t0 = performance.now();
const { vocabSize, sts } = await writeEmbedderFolder(dir, recipe, values.version);
console.log(JSON.stringify({ dir, recipe, vocabSize, ...sts, buildSeconds: (performance.now() - t0) / 1000 }));
