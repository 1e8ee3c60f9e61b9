/**
 * Relevance scores in [0, 1] from a reranker's logits: `sigmoid(logit / temperature + bias)`, with
 * the temperature and bias fitted (Platt scaling, models/pipeline/reranker.ts plattScale) on a
 * domain's retrieval questions for one reranker version (models/cli/calibrate-reranker.ts writes the file). Monotonic, so the order is
 * the logits'. A reranker with no fitted calibration gets `sigmoid(logit)`, marked as uncalibrated.
 */
import { z } from 'zod';

export const RerankCalibration = z.object({
  reranker: z.object({ name: z.string().min(1), version: z.string().min(1) }),
  temperature: z.number().positive(),
  bias: z.number(),
  /** How it was fitted and how well the probabilities fit there (for the reader; not used to score). */
  fit: z.object({ data: z.string(), pairs: z.number().int(), positives: z.number().int(), logLoss: z.number(), brier: z.number(), ece: z.number() }),
});
export type RerankCalibration = z.infer<typeof RerankCalibration>;

export function calibratedScore(logit: number, cal: Pick<RerankCalibration, 'temperature' | 'bias'> | null): number {
  const z = cal ? logit / cal.temperature + cal.bias : logit;
  return 1 / (1 + Math.exp(-z));
}

/** Log loss, Brier score and expected calibration error (10 equal-width bins) of probabilities. */
export function calibrationQuality(p: number[], labels: boolean[]): { logLoss: number; brier: number; ece: number } {
  const eps = 1e-12;
  let ll = 0, br = 0;
  const bins = Array.from({ length: 10 }, () => ({ n: 0, p: 0, y: 0 }));
  p.forEach((q, i) => {
    const y = labels[i] ? 1 : 0;
    ll -= y * Math.log(Math.max(q, eps)) + (1 - y) * Math.log(Math.max(1 - q, eps));
    br += (q - y) ** 2;
    const bin = bins[Math.min(9, Math.floor(q * 10))];
    bin.n++;
    bin.p += q;
    bin.y += y;
  });
  const ece = bins.reduce((s, bin) => s + (bin.n ? Math.abs(bin.p - bin.y) : 0), 0) / p.length;
  return { logLoss: ll / p.length, brier: br / p.length, ece };
}
