/**
 * Batch classification throughput (`npx tsx regional/src/ops/bench-batch.ts [rows] [batch sizes…]`):
 * the service's own parts (buildServices: the classifier behind its dynamic batcher, SQLite) and
 * the batch runner with its checkpoints and fsyncs, over a JSONL of the served pack's test texts.
 * Prints one JSON line per BATCH_MAX_SIZE.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { DEFAULT_DOMAIN_DIR } from '../domain/pack-files.ts';
import { packIntents } from '../domain/store-files.ts';
import { buildServices } from '../services.ts';
import { BatchRunner } from './batch-runner.ts';
import { submitBatchJob } from './batch-submit.ts';
import { batchModelsOf } from './routes.ts';

const rows = Number(process.argv[2] ?? 100_000);
const sizes = process.argv.slice(3).map(Number);
// The pack SWITCHYARD_DOMAIN names (default kitsune-books): the service serves it, the texts are its test messages.
const packDir = process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR;
const texts = packIntents(packDir).test.map((e) => e.text);

for (const size of sizes.length ? sizes : [32, 64, 128]) {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-batch-'));
  try {
    const s = await buildServices(loadConfig({ SWITCHYARD_DOMAIN: packDir, DATABASE_URL: join(dir, 'b.db'), SEED_STORE_KB: 'false', BATCH_MAX_SIZE: String(size) }), () => {});
    let input = '';
    for (let i = 0; i < rows; i++) input += JSON.stringify({ id: i, text: texts[i % texts.length] }) + '\n';
    writeFileSync(join(dir, 'in.jsonl'), input);
    const job = await submitBatchJob(s.store, dir, [], { task: 'classify', inputPath: 'in.jsonl', modelVersion: s.classifierVersion! });
    const runner = new BatchRunner(s.store, () => batchModelsOf(s), { log: () => {}, chunkRows: { classify: Math.max(256, size * 8) } });
    const t0 = performance.now();
    runner.start();
    for (;;) {
      const j = (await s.store.batchJobs.getBatchJob(job.id))!;
      if (j.status === 'succeeded' || j.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - t0) / 1000;
    await runner.stop();
    console.log(JSON.stringify({ rows, batchMaxSize: size, seconds: Number(seconds.toFixed(2)), classificationsPerSecond: Math.round(rows / seconds) }));
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
