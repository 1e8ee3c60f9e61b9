/**
 * The reranker's relevance scores as the rerank routes return them: calibrated to [0, 1] with the
 * served domain's fitted calibration (<SWITCHYARD_DOMAIN>/rerank-calibration.json) when it was fitted for
 * the reranker serving now, else `sigmoid(logit)` marked as uncalibrated (e.g. right after a
 * hot-swap to a version nobody calibrated). A calibration file that does not parse is refused at
 * first use with a log line, and the uncalibrated scores are served.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibratedScore, RerankCalibration } from '../../../../shared/models/rerank-calibration.ts';

export const calibrationFileOf = (domainDir: string) => join(domainDir, 'rerank-calibration.json');

let cached: { file: string; cal: RerankCalibration | null } | null = null;

function calibrationFile(file: string): RerankCalibration | null {
  if (cached?.file === file) return cached.cal;
  let cal: RerankCalibration | null = null;
  if (existsSync(file)) {
    const r = RerankCalibration.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (r.success) cal = r.data;
    else console.error(`${file}: not a rerank calibration (${r.error.issues[0]?.message}); serving sigmoid(logit)`);
  }
  cached = { file, cal };
  return cal;
}

export interface ScoredBy {
  /** "name@version" of the reranker, when known. */
  reranker?: string;
  calibrated: boolean;
}

/** Calibrated scores for the logits of `reranker` (name and version of the serving model). */
export function relevanceScores(logits: ArrayLike<number>, reranker: { name: string; version: string } | undefined, file: string): { scores: number[]; by: ScoredBy } {
  const cal = calibrationFile(file);
  const fits = !!cal && !!reranker && cal.reranker.name === reranker.name && cal.reranker.version === reranker.version;
  return {
    scores: Array.from(logits, (l) => calibratedScore(l, fits ? cal : null)),
    by: { ...(reranker ? { reranker: `${reranker.name}@${reranker.version}` } : {}), calibrated: fits },
  };
}
