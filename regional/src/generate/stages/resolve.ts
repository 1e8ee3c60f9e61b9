/**
 * Resolve stage: what the message means in its conversation. The query the other stages work
 * from is the edge's resolution of a follow-up (`resolved.text`) when it sent one, else the
 * message; the generator is handed the resolution itself (text and entities). The history is the client's own (`history`, stateless clients) or the
 * session's last turns from the region's store, within the token budget (conversation/history.ts).
 * Timeout `historyMs`; a store that fails or is slow gives no history (`session_unavailable`) and
 * the answer goes on single-turn. Metric stage "history".
 */
import type { GenerateRequest } from '../../../../shared/api/chat.ts';
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
