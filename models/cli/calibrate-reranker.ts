/**
 * Fits the reranker's relevance-score calibration on the store's retrieval questions
 * (domains/kitsune-books/kb/questions.jsonl): each question's hybrid top-k candidates (what the
 * reranker sees in the region) are scored, labelled relevant or not, and a Platt sigmoid is fitted
 * to the logits. Writes domains/kitsune-books/rerank-calibration.json for that reranker version;
 * prints the in-sample fit and a 5-fold (by question) cross-validated one.
 *
 *   npx tsx models/cli/calibrate-reranker.ts [--reranker <dir>] [--embedder <dir>] [--k 30] [--out <file>]
 */
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { calibratedScore, calibrationQuality, RerankCalibration } from '../../shared/models/rerank-calibration.ts';
import { storeRetrievalListsWith } from '../eval/store-retrieval.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import { loadCrossEncoder } from '../pipeline/load-node.ts';
import { plattScale } from '../pipeline/reranker.ts';
import { storeDir } from '../pipeline/store-data.ts';

/** The reranker's own Platt fit (as its training calibrates), as a temperature and a bias. */
function fitPlatt(logits: number[], labels: boolean[]): { temperature: number; bias: number } {
  const { alpha, beta } = plattScale(Float64Array.from(logits), Uint8Array.from(labels, Number));
  if (!(alpha > 0)) throw new Error(`the fitted scale ${alpha} is not positive: the logits do not rank relevant passages higher`);
  return { temperature: 1 / alpha, bias: beta };
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const defaults = join(repoRoot(), 'models', 'default');
const rerankerDir = resolve(flag('reranker', join(defaults, 'reranker')));
const embedderDir = resolve(flag('embedder', join(defaults, 'embedder')));
const k = Number(flag('k', '30'));
const out = resolve(flag('out', join(storeDir(), 'rerank-calibration.json')));

const { rerankQuestions } = await storeRetrievalListsWith(embedderDir, k);
const reranker = await loadCrossEncoder(rerankerDir);
const rows: { q: number; logit: number; label: boolean }[] = [];
for (const [q, rq] of rerankQuestions.entries()) {
  const logits = await reranker.score(rq.question, rq.candidates.map((c) => c.text));
  rq.candidates.forEach((c, i) => rows.push({ q, logit: logits[i], label: rq.relevant.includes(c.id) }));
}
const labels = rows.map((r) => r.label);
const fit = fitPlatt(rows.map((r) => r.logit), labels);
const quality = calibrationQuality(rows.map((r) => calibratedScore(r.logit, fit)), labels);

// 5-fold by question: each fold's scores from a fit on the other four.
const cv = rows.map(() => 0);
for (let f = 0; f < 5; f++) {
  const train = rows.filter((r) => r.q % 5 !== f);
  const fitF = fitPlatt(train.map((r) => r.logit), train.map((r) => r.label));
  rows.forEach((r, i) => r.q % 5 === f && (cv[i] = calibratedScore(r.logit, fitF)));
}
const cvQuality = calibrationQuality(cv, labels);
const uncalibrated = calibrationQuality(rows.map((r) => calibratedScore(r.logit, null)), labels);

const round = (x: number) => Number(x.toFixed(4));
const file = RerankCalibration.parse({
  reranker: { name: reranker.manifest.name, version: reranker.manifest.version },
  temperature: round(fit.temperature),
  bias: round(fit.bias),
  fit: {
    data: `${relative(repoRoot(), join(storeDir(), 'kb', 'questions.jsonl'))}: hybrid top ${k} per question`,
    pairs: rows.length,
    positives: labels.filter(Boolean).length,
    logLoss: round(quality.logLoss),
    brier: round(quality.brier),
    ece: round(quality.ece),
  },
});
writeFileSync(out, JSON.stringify(file, null, 2) + '\n');
await reranker.release?.();
console.log(JSON.stringify({ written: relative(repoRoot(), out), ...file, crossValidated: { logLoss: round(cvQuality.logLoss), brier: round(cvQuality.brier), ece: round(cvQuality.ece) }, sigmoidOfLogit: { logLoss: round(uncalibrated.logLoss), brier: round(uncalibrated.brier), ece: round(uncalibrated.ece) } }, null, 2));
