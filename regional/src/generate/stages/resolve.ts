/**
 * Resolve stage: what the message means in its conversation. The query the other stages work
 * from is the edge's resolution of a follow-up (`resolved.text`) when it sent one, else the
 * message; the generator is handed the resolution itself (text and entities). The history is the client's own (`history`, stateless clients) or the
 * session's last turns from the region's store, within the token budget (conversation/history.ts).
 * Timeout `historyMs`; a store that fails or is slow gives no history (`session_unavailable`) and
 * the answer goes on single-turn. Metric stage "history".
 *
 * A request without the edge's resolution (a partner's own call to `/v1/generate` or
 * `/v1/chat/completions`) is resolved here with the resolver the edge and the widget run
 * (shared/conversation): a message that leans on earlier turns against the history the generator
 * is shown (read first, then reused), any other message alone, so its titles and places read with
 * the domain's aliases either way. The classify stage then reads it in its conversation, as the
 * edge does. Metric stage "resolve".
 */
import { boundedResolution, type GenerateRequest } from '../../../../shared/api/chat.ts';
import { leansOnContext, resolveFollowUp, type FollowUpResolution } from '../../../../shared/conversation/follow-up.ts';
import { contextFromHistory } from '../../../../shared/conversation/session-turns.ts';
import type { LlmMessage } from '../../llm/types.ts';
import type { GenerateDeps } from '../pipeline.ts';
import { withTimeout, type Run } from './run.ts';

export interface ResolvedQuery {
  /** The standalone question retrieval, classification and the offline generator use. */
  query: string;
  /** True when the edge rewrote a follow-up. */
  rewritten: boolean;
}

export function resolveQuery(req: GenerateRequest): ResolvedQuery {
  const text = req.resolved?.text.trim();
  return { query: text || req.message, rewritten: !!text && text !== req.message };
}

/** Earlier turns, oldest first (not yet trimmed to the budget). */
export async function historyStage(req: GenerateRequest, deps: GenerateDeps, run: Run): Promise<LlmMessage[]> {
  if (req.history) return req.history;
  if (!deps.history) return [];
  const t = performance.now();
  const turns = await withTimeout(deps.history(req.sessionId), deps.timeouts.historyMs ?? 250, 'session store').catch(() => {
    run.fallback('session_unavailable');
    return [] as LlmMessage[];
  });
  run.stage('history', performance.now() - t);
  return turns;
}

export interface RegionResolution {
  /** The request, with `resolved` set when the caller sent none and the region has a resolver. */
  req: GenerateRequest;
  /** The region's own resolution (none when the caller sent one), for the classify stage. */
  resolution?: FollowUpResolution;
  /** The history, when it was read to resolve the message (the generator reuses it). */
  reading?: Promise<LlmMessage[]>;
}

export async function resolveAtRegion(req: GenerateRequest, deps: GenerateDeps, run: Run): Promise<RegionResolution> {
  const dialogue = deps.conversation?.dialogue;
  if (req.resolved || !dialogue) return { req };
  const reading = leansOnContext(req.message, dialogue) ? historyStage(req, deps, run) : undefined;
  const context = reading ? contextFromHistory(await reading, dialogue) : [];
  const t = performance.now();
  const r = resolveFollowUp(req.message, context, dialogue);
  run.stage('resolve', performance.now() - t);
  return { req: { ...req, resolved: boundedResolution(r) }, resolution: r, ...(reading ? { reading } : {}) };
}
