/**
 * `npm run models:train -- --data <dir> --out <dir> [--embedder <dir>] [--name s] [--version s]`
 *   [--epochs N] [--seed N] [--hidden N] [--lr x] [--buckets N] [--bigram-dim N]
 * Trains an intent classifier on any dataset and writes an HF-format model folder with manifest.
 * The classifier starts from the unsupervised static rows (rebuilt from GloVe, ~20 s) unless
 * `--embedder <dir>` names a built embedder folder.
 */
import { evaluateIntent } from '../eval/intent-eval.ts';
import { classifierBaseVectors } from '../pipeline/base-vectors.ts';
import { trainIntentModel, writeIntentFolder } from '../pipeline/intent-model.ts';
import { CLASSIFIER_FLAGS, classifierOverrides, cliArgs, loadAnyDataset } from './args.ts';

const { values } = cliArgs({
  data: { type: 'string' },
  out: { type: 'string' },
  embedder: { type: 'string' },
  ...CLASSIFIER_FLAGS,
  name: { type: 'string' },
  version: { type: 'string' },
});
if (!values.data || !values.out) {
  console.error('usage: npm run models:train -- --data <dataset dir> --out <model dir> [--embedder <dir>] [--epochs N] [--seed N] [--heads N] (all flags: models/cli/args.ts)');
  process.exit(2);
}
const ds = loadAnyDataset(values.data as string);
const base = await classifierBaseVectors(values.embedder as string | undefined);
const model = await trainIntentModel(ds, base, classifierOverrides(values));
const { result } = await evaluateIntent(model, ds.test, 500);
const manifest = await writeIntentFolder(values.out as string, model, base, {
  name: (values.name as string) ?? `intent-${ds.name}`,
  version: (values.version as string) ?? '0.1.0',
  metrics: result as unknown as Record<string, unknown>,
});
console.log(JSON.stringify({ out: values.out, sizeBytes: manifest.sizeBytes, metrics: result }, null, 2));
