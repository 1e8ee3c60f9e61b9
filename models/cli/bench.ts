/**
 * `npm run bench`: model latency on this machine, ours beside a peer measured in the same run.
 * Single warm queries, one thread: the store classifier through onnxruntime-node and
 * onnxruntime-web (WASM, in Node), the embedder, and NLP.js trained on the same store split.
 * Prints a Markdown table for BENCHMARKS.md.
 */
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { IntentClassifier } from '../../shared/models/intent-classifier.ts';
import type { OrtSession, OrtTensorConstructor } from '../../shared/models/onnx-session.ts';
import { singleQueryLatency } from '../eval/intent-eval.ts';
import { percentiles } from '../../shared/eval/metrics.ts';
import { trainNlpjsPeer } from '../eval/nlpjs-peer.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import { storeIntents } from '../pipeline/store-data.ts';
import { loadIntentClassifier, loadModelFolder, loadSentenceEmbedder } from '../pipeline/load-node.ts';

const dir = join(repoRoot(), 'models', 'default');
const ds = storeIntents();
const texts = ds.test.map((e) => e.text);
const rows: string[] = [];
const row = (name: string, ms: number[], extra = '') => {
  const p = percentiles(ms);
  rows.push(`| ${name} | ${p.p50.toFixed(3)} | ${p.p99.toFixed(3)} | ${extra} |`);
  return p;
};

const clf = await loadIntentClassifier(join(dir, 'store-intent'));
const ours = row('store classifier, onnxruntime-node (1 thread)', await singleQueryLatency(clf, texts));

ortWeb.env.wasm.numThreads = 1;
const folder = await loadModelFolder(join(dir, 'store-intent'));
const webSession = (await ortWeb.InferenceSession.create(folder.onnx, { executionProviders: ['wasm'] })) as unknown as OrtSession;
const web = new IntentClassifier(folder.tokenizer, webSession, ortWeb.Tensor as unknown as OrtTensorConstructor, clf.labels, clf.calibration);
row('store classifier, onnxruntime-web WASM in Node (1 thread)', await singleQueryLatency(web, texts));

const emb = await loadSentenceEmbedder(join(dir, 'embedder'));
const embMs: number[] = [];
for (let i = 0; i < 2200; i++) {
  const t0 = performance.now();
  await emb.embed([texts[i % texts.length]]);
  if (i >= 200) embMs.push(performance.now() - t0);
}
row('static embedder, onnxruntime-node (1 thread)', embMs);

const peer = await trainNlpjsPeer(ds);
rows.push(`| NLP.js (@nlpjs/nlp), same split | ${peer.p50Ms.toFixed(3)} | ${peer.p99Ms.toFixed(3)} | accuracy ${(peer.accuracy * 100).toFixed(1)}% |`);
const ratio = peer.p50Ms / ours.p50;

console.log(`Command: npm run bench (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`);
console.log('| what | p50 ms | p99 ms | note |\n|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`\nNLP.js p50 / our classifier p50 in the same run: ${ratio.toFixed(2)}×`);
