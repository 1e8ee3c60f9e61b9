/**
 * Classify stage: the intent of the message, unless the edge already sent one. Runs alongside
 * retrieval. A message the region resolved itself (stages/resolve.ts) is read in its conversation
 * as the edge and the widget read it (shared/conversation/classify-in-context.ts `settledInContext`: an unsure guess
 * settled by the turn it leans on, by cue words, a greeting as the courtesy intent). Timeout
 * `classifyMs`; on failure the answer goes on with no intent (`classifier_timeout` /
 * `classifier_error` / `classifier_unavailable`); metric stage "classify".
 */
import type { GenerateRequest } from '../../../../shared/api/chat.ts';
import { withoutCourtesyLead } from '../../../../shared/conversation/courtesy.ts';
import type { FollowUpResolution } from '../../../../shared/conversation/follow-up.ts';
import { settledInContext } from '../../../../shared/conversation/classify-in-context.ts';
import type { GenerateDeps } from '../pipeline.ts';
import { failureOf, withTimeout, type Run } from './run.ts';

export interface Prediction {
  intent: string;
  confidence: number;
  /** The region's own classification cleared its routing threshold (absent for the edge's intent). */
  confident?: boolean;
}

export async function classifyStage(req: GenerateRequest, text: string, deps: GenerateDeps, run: Run, resolution?: FollowUpResolution): Promise<Prediction | null> {
  if (req.intent) return { intent: req.intent, confidence: req.confidence ?? 0 };
  if (!deps.classify) {
    run.fallback('classifier_unavailable');
    return null;
  }
  const t = performance.now();
  const conversation = resolution && deps.conversation ? { resolution, ...deps.conversation } : null;
  // A follow-up is read as resolved; a message that leans on nothing as it was sent, as the region always read it.
  const read = !conversation ? text : conversation.resolution.kind === 'standalone' ? req.message : withoutCourtesyLead(text);
  const raw = await withTimeout(deps.classify(read), deps.timeouts.classifyMs, 'classifier').catch((e) => {
    run.fallback(failureOf('classifier', e));
    return null;
  });
  // The intent an earlier turn lent is named in the resolution's `carried` ("intent:<name>"), as at the edge.
  const p = raw && conversation ? settledInContext(raw, req.message, conversation.resolution, conversation.routes, conversation.dialogue, req.resolved?.carried ?? []) : raw;
  run.stage('classify', performance.now() - t);
  return p && { intent: p.intent, confidence: p.confidence, confident: p.confident };
}
