/**
 * `npx tsx --expose-gc scripts/soak/ort-native.ts [--minutes 4] [--arena on|off] [--pattern on|off] [--seed 1]`:
 * the region's three default models (embedder, reranker, intent classifier) in onnxruntime-node, run
 * in a loop on the domain's test texts in random batches (so random sequence lengths and batch sizes,
 * as the region sees them), with nothing else in the process: no HTTP, no database, no LLM. Prints
 * one JSON with the process's RSS and its heap after a full collection, each as the Theil–Sen slope
 * of its per-minute floors over the second half, so onnxruntime's native memory (its CPU arena, its
 * cached memory patterns, one per input shape) can be judged apart from the rest of the region.
 * `--arena off` / `--pattern off` set the session options `enableCpuMemArena` / `enableMemPattern`.
 * Bench diagnostic only; run it as `MALLOC_ARENA_MAX=2 npx tsx …` to compare glibc's arenas.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { cpuSessionOptions, modelLoaders } from '../../shared/models/folder-loaders.ts';
import type { OrtSession, OrtTensorConstructor } from '../../shared/models/onnx-session.ts';
import { DEFAULT_DOMAIN_DIR } from '../../regional/src/domain/pack-files.ts';
import { repoRoot } from '../../models/pipeline/datasets.ts';
import { floors, medianSlope } from './rss.ts';
import { rng } from '../traffic/random.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '4' }, arena: { type: 'string', default: 'on' }, pattern: { type: 'string', default: 'on' }, seed: { type: 'string', default: '1' } } });
const minutes = Number(values.minutes);
const options = { ...cpuSessionOptions(1), enableCpuMemArena: values.arena !== 'off', enableMemPattern: values.pattern !== 'off' };
const { loadSentenceEmbedder, loadCrossEncoder, loadIntentClassifier } = modelLoaders({
  read: async (dir, path) => new Uint8Array(await readFile(join(dir, path))),
  session: (onnx) => ort.InferenceSession.create(onnx, options) as unknown as Promise<OrtSession>,
  Tensor: ort.Tensor as unknown as OrtTensorConstructor,
  release: (session) => (session as unknown as ort.InferenceSession).release(),
});
const root = repoRoot();
const [embedder, reranker, classifier] = await Promise.all([
  loadSentenceEmbedder(join(root, 'models/default/embedder')),
  loadCrossEncoder(join(root, 'models/default/reranker')),
  loadIntentClassifier(join(root, 'models/default/store-intent')),
]);
const texts = readFileSync(join(resolve(process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR), 'intents/test.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { text: string }).text);
const random = rng(Number(values.seed));
const pick = () => texts[Math.floor(random() * texts.length)];
const some = (max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, pick);

const gc = (globalThis as { gc?: () => void }).gc;
const rss: { x: number; y: number }[] = [];
const heap: { x: number; y: number }[] = [];
const t0 = performance.now();
let calls = 0;
let lastSample = -Infinity;
while (performance.now() - t0 < minutes * 60_000) {
  await embedder.embed(some(3));
  await reranker.score(pick(), some(8));
  await classifier.classify(some(2));
  calls += 3;
  if (performance.now() - lastSample >= 5000) {
    lastSample = performance.now();
    gc?.();
    const x = (lastSample - t0) / 60_000;
    rss.push({ x, y: process.memoryUsage().rss / 2 ** 20 });
    heap.push({ x, y: process.memoryUsage().heapUsed / 2 ** 20 });
  }
}
const half = (s: { x: number; y: number }[]) => floors(s.filter((p) => p.x >= minutes / 2), 1);
const r2 = (v: number) => Math.round(v * 100) / 100;
console.log(
  JSON.stringify({
    minutes,
    enableCpuMemArena: options.enableCpuMemArena,
    enableMemPattern: options.enableMemPattern,
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? null,
    calls,
    callsPerSecond: r2(calls / (minutes * 60)),
    rss: { startMb: r2(rss[0].y), endMb: r2(rss.at(-1)!.y), floorsMb: floors(rss, 1).map((p) => r2(p.y)), floorSlopeSecondHalfMbPerMin: r2(medianSlope(half(rss))) },
    heapAfterGc: { startMb: r2(heap[0].y), endMb: r2(heap.at(-1)!.y), floorSlopeSecondHalfMbPerMin: r2(medianSlope(half(heap))) },
  }),
);
