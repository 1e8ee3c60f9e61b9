/**
 * The region's memory of a session, in its own store (SQLite or PostgreSQL), so any region
 * instance on the same database can continue a conversation: reading its last turns for the
 * generator, and recording each exchange (question and answer together, PII redacted as in the
 * logs). Refuses to fail a request: callers time these out and answer single-turn instead.
 */
import type { GenerateRequest } from '../../../shared/api/chat.ts';
import { redactPii } from '../../../shared/privacy/pii.ts';
import type { PipelineResult } from '../generate/pipeline.ts';
import type { LlmMessage } from '../llm/types.ts';
import type { Store } from '../store/types.ts';

/** Turns read per session: 8 exchanges, the same bound as the edge keeps. The token budget trims further. */
export const HISTORY_TURNS = 16;

/**
 * The session's last user and assistant turns, oldest first: none for an unknown session, and
 * none from before a pause longer than `idleMs` (an expired session starts fresh, as at the edge).
 */
export async function readSessionTurns(store: Store, sessionId: string, opts: { idleMs: number; now?: number; limit?: number }): Promise<LlmMessage[]> {
  const conv = await store.getConversationBySession(sessionId, { limit: opts.limit ?? HISTORY_TURNS });
  const turns = (conv?.turns ?? []).filter((t) => t.role === 'user' || t.role === 'assistant');
  return sinceLastPause(turns, opts.now ?? Date.now(), opts.idleMs).map((t) => ({ role: t.role as LlmMessage['role'], content: t.text }));
}

/** The turns after the last gap longer than `idleMs` (counting the gap from the newest turn to now). */
export function sinceLastPause<T extends { createdAt: Date }>(turns: T[], now: number, idleMs: number): T[] {
  let from = turns.length;
  let next = now;
  while (from > 0 && next - turns[from - 1].createdAt.getTime() <= idleMs) next = turns[--from].createdAt.getTime();
  return turns.slice(from);
}

export interface ExchangeFacts {
  traceId: string;
  tokensIn: number;
  tokensOut: number;
  modelVersions: Record<string, string>;
}

/** Stores the question and its answer as one unit, redacted. */
export async function recordExchange(store: Store, req: GenerateRequest, r: PipelineResult, f: ExchangeFacts): Promise<void> {
  const conv = await store.getOrCreateConversation(req.sessionId, req.userId ?? null);
  await store.appendTurns(conv.id, [
    { role: 'user', text: redactPii(req.message), intent: r.route.intent, confidence: r.route.confidence, traceId: f.traceId },
    {
      role: 'assistant',
      text: redactPii(r.text),
      intent: r.route.intent,
      confidence: r.route.confidence,
      routePath: r.route.path,
      modelVersions: f.modelVersions,
      latencyMs: r.done.latencyMs,
      tokensIn: f.tokensIn,
      tokensOut: f.tokensOut,
      costUsd: r.done.usage?.costUsd ?? null,
      fallbacks: r.route.fallbacks,
      traceId: f.traceId,
    },
  ]);
}
