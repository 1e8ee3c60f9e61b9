/**
 * Build step of the edge: a model's ONNX graph with onnxruntime's graph optimisations already
 * applied (level "extended": constant folding, redundant-node removal, Gemm+Relu fusion, …),
 * saved as ONNX by onnxruntime-node, so the Worker's onnxruntime-web session can skip them
 * (graphOptimizationLevel "disabled", edge/src/runtime/ort-workerd.ts). On a fresh isolate that
 * is most of the first session's cost: V8 compiles onnxruntime's WASM lazily, and the optimisers'
 * code (and the kernels constant folding runs at session creation) no longer has to be compiled.
 * The outputs are the same bits (tests/optimized-graph.test.ts).
 *
 * Not "all": the layout level may write hardware-specific (NCHWc) nodes. Only when
 * onnxruntime-node and onnxruntime-web are the same version, so every node the optimiser writes
 * (e.g. com.microsoft FusedGemm) is one the Worker's runtime has; otherwise none is made and the
 * Worker optimises at load as before. Results are cached by the source's sha256 and that version
 * in .switchyard/optimized-graphs/, so a rebuild costs nothing.
 *
 *   npx tsx scripts/optimized-graph.ts <model.onnx> <out.onnx>     writes one (what the build spawns)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { sha256File } from '../models/pipeline/content-files.ts';

const version = (pkg: string) => (JSON.parse(readFileSync(join(repoRoot(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The optimised graph of `onnxPath` (a file in the cache), or null when onnxruntime-node and
 * onnxruntime-web differ in version. Throws when the optimiser fails.
 */
export function optimizedGraph(onnxPath: string): string | null {
  const ort = version('onnxruntime-node');
  if (ort !== version('onnxruntime-web')) return null;
  const dir = join(repoRoot(), '.switchyard', 'optimized-graphs');
  const out = join(dir, `${sha256File(onnxPath)}.ort-${ort}.onnx`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp.onnx`;
  // onnxruntime-node's sessions are async and this build step is not: the optimiser runs in a child.
  const run = spawnSync(join(repoRoot(), 'node_modules', '.bin', 'tsx'), [join(repoRoot(), 'scripts', 'optimized-graph.ts'), onnxPath, tmp], { encoding: 'utf8' });
  if (run.status !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    throw new Error(`optimising ${onnxPath} failed: ${run.stderr || run.stdout}`);
  }
  renameSync(tmp, out);
  return out;
}

async function writeOptimized(src: string, out: string): Promise<void> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(src, { graphOptimizationLevel: 'extended', optimizedModelFilePath: out, executionProviders: ['cpu'], logSeverityLevel: 3 });
  await session.release();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) throw new Error('usage: optimized-graph.ts <model.onnx> <out.onnx>');
  await writeOptimized(src, out);
}
