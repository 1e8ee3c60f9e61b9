/**
 * `npm run -s eval -- intent --data <dir> [--json] [--peer] [--epochs N] [--hidden N] [--lr x] [--buckets N] [--bigram-dim N]
 *   [--hidden-dropout p] [--input-dropout p] [--word-dropout p] [--oos-weight w] [--oos-prior p] [--heads N] [--adapt-epochs N] [--adapt-lr x]`
 *   [--embedder <dir>] trains on train (starting from the unsupervised static rows, or the given
 *   embedder folder's), evaluates on test, prints one JSON object, writes reports/intent-<name>.html.
 * `npm run -s eval -- sts [--embedder <dir>] [--dimensions 64,32] [--json]`: STS-B Spearman of the static embedder
 *   (and of its vectors shortened to each size, as the embeddings API's `dimensions` does).
 * `npm run -s eval -- gate --candidate <dir | name@version> …`: the evaluation gate (regional/src/ops/gate/cli.ts).
 * `npm run -s eval -- answers [--json] [--generator extractive|bedrock|openai] …`: the golden answer
 *   set scored on the region's answers (scripts/eval/answers.ts, spawned: it runs the region).
 * `npm run -s eval -- dialogue [--json] …`: the store's dialogue set against the running tiers
 *   (scripts/eval/dialogue.ts, spawned: models/ never imports the runtimes).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { evaluateIntent } from '../eval/intent-eval.ts';
import { stsSpearman } from '../../shared/eval/sts-eval.ts';
import { trainNlpjsPeer } from '../eval/nlpjs-peer.ts';
import { writeIntentReport } from '../eval/report-html.ts';
import { classifierBaseVectors } from '../pipeline/base-vectors.ts';
import { loadStsb, repoRoot } from '../pipeline/datasets.ts';
import { trainIntentModel } from '../pipeline/intent-model.ts';
import { loadSentenceEmbedder } from '../pipeline/load-node.ts';
import { CLASSIFIER_FLAGS, classifierOverrides, cliArgs, loadAnyDataset } from './args.ts';

/** Subcommands that run the service's own code: spawned with their own flags, never imported (models/ is build time). */
const FORWARDED: Record<string, string> = {
  gate: 'regional/src/ops/gate/cli.ts',
  answers: 'scripts/eval/answers.ts',
  dialogue: 'scripts/eval/dialogue.ts',
};

const forwarded = FORWARDED[process.argv[2]];
if (forwarded) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot(), forwarded), ...process.argv.slice(3)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
} else {
  await evalCommand();
}

async function evalCommand(): Promise<void> {
  const { values, positionals } = cliArgs({
    data: { type: 'string' },
    embedder: { type: 'string' },
    json: { type: 'boolean' },
    peer: { type: 'boolean' },
    dimensions: { type: 'string' },
    ...CLASSIFIER_FLAGS,
  });
  const embedderDir = (values.embedder as string) ?? join(repoRoot(), 'models', 'default', 'embedder');
  const command = positionals[0];

  if (command === 'intent') {
    if (!values.data) {
      console.error('usage: npm run -s eval -- intent --data <dataset dir> [--json] [--peer]');
      process.exit(2);
    }
    const ds = loadAnyDataset(values.data as string);
    const base = await classifierBaseVectors(values.embedder as string | undefined);
    const model = await trainIntentModel(ds, base, classifierOverrides(values));
    const { result, predictions, latencyMs } = await evaluateIntent(model, ds.test);
    const peer = values.peer ? await trainNlpjsPeer(model.dataset) : undefined;
    const out = {
      dataset: ds.name,
      ...result,
      ...(peer
        ? {
            peer: {
              name: 'NLP.js (@nlpjs/nlp)',
              inScopeAccuracy: peer.inScopeAccuracy,
              oosRecall: peer.oosRecall,
              macroF1: peer.macroF1,
              p50Ms: peer.p50Ms,
              p99Ms: peer.p99Ms,
              trainSeconds: peer.trainSeconds,
            },
          }
        : {}),
    };
    const report = join(repoRoot(), 'reports', `intent-${ds.name}.html`);
    writeIntentReport(report, {
      dataset: ds.name,
      model: 'switchyard fastText-style int8 classifier',
      predictions,
      latencyMs,
      ...(result.oosTradeoff ? { oosTradeoff: { chosen: result.oosCut, points: result.oosTradeoff } } : {}),
      peers: [
        { name: 'switchyard', inScopeAccuracy: result.inScopeAccuracy, oosRecall: result.oosRecall, macroF1: result.macroF1, p50Ms: result.p50Ms, p99Ms: result.p99Ms, trainSeconds: result.trainSeconds },
        ...(peer ? [{ name: 'NLP.js', inScopeAccuracy: peer.inScopeAccuracy, oosRecall: peer.oosRecall, macroF1: peer.macroF1, p50Ms: peer.p50Ms, p99Ms: peer.p99Ms, trainSeconds: peer.trainSeconds }] : []),
      ],
      notes: [`routing threshold ${result.bypass.threshold.toFixed(3)}: precision ${(result.bypass.precision * 100).toFixed(2)}%, coverage ${(result.bypass.coverage * 100).toFixed(1)}%`],
    });
    if (values.json) console.log(JSON.stringify(out));
    else console.log(JSON.stringify(out, null, 2), `\nreport: ${report}`);
  } else if (command === 'sts') {
    const emb = await loadSentenceEmbedder(embedderDir);
    // --dimensions 64,32: also score the vectors shortened to each size (the embeddings API's `dimensions`).
    const dims = String(values.dimensions ?? '').split(',').filter(Boolean).map(Number);
    const dev = loadStsb('dev');
    const test = loadStsb('test');
    const result = {
      devSpearman: await stsSpearman(emb, dev),
      testSpearman: await stsSpearman(emb, test),
      ...(dims.length ? { byDimensions: Object.fromEntries(await Promise.all(dims.map(async (d) => [d, { dev: await stsSpearman(emb, dev, d), test: await stsSpearman(emb, test, d) }]))) } : {}),
    };
    console.log(JSON.stringify(result, values.json ? undefined : null, values.json ? undefined : 2));
  } else {
    console.error('usage: npm run -s eval -- intent --data <dir> [--json] [--peer] | sts [--json] | answers [--json] [--generator g]');
    process.exit(2);
  }
}
