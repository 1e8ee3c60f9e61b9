/**
 * Classify stage: the intent of the message, unless the edge already sent one. Runs alongside
 * retrieval. Timeout `classifyMs`; on failure the answer goes on with no intent
 * (`classifier_timeout` / `classifier_error` / `classifier_unavailable`); metric stage "classify".
 */
import type { GenerateRequest } from '../../../../shared/api/chat.ts';
import type { GenerateDeps } from '../pipeline.ts';
import { failureOf, withTimeout, type Run } from './run.ts';

export interface Prediction {
  intent: string;
  confidence: number;
  /** The region's own classification cleared its routing threshold (absent for the edge's intent). */
  confident?: boolean;
}

export async function classifyStage(req: GenerateRequest, text: string, deps: GenerateDeps, run: Run): Promise<Prediction | null> {
  if (req.intent) return { intent: req.intent, confidence: req.confidence ?? 0 };
  if (!deps.classify) {
    run.fallback('classifier_unavailable');
    return null;
  }
  const t = performance.now();
  const p = await withTimeout(deps.classify(text), deps.timeouts.classifyMs, 'classifier').catch((e) => {
    run.fallback(failureOf('classifier', e));
    return null;
  });
  run.stage('classify', performance.now() - t);
  return p && { intent: p.intent, confidence: p.confidence, confident: p.confident };
}
