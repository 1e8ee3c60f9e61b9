/**
 * Order stage: a message whose intent (the edge's, else the region's own classification) is one
 * the pack routes to its order system (route class `order`) and which names an order id (the
 * edge's resolved entities, a follow-up's carried id included, else the pack's id patterns on the
 * text) is answered from that order's record: no retrieval, no LLM (path "template", generator
 * "order"), never cacheable (one shopper's order). The id is the second gate, as the one named item
 * is the catalog's: the intent need not clear its routing threshold, only be the top label above
 * the out-of-scope threshold (on the store's validation split every message naming an order id
 * whose top label was order_status was one, 15 of 15, and 39 of 39 on train; docs/orders.md), and
 * the answer states only the order's own facts. An id the order system does not know gets the pack's not-found answer, also with no LLM.
 * A lookup that fails or times out (ORDER_LOOKUP_TIMEOUT_MS) marks `order_lookup_unavailable` and
 * the message goes on to retrieval and generation, as with no order system. Metric stage "order",
 * counter switchyard_order_lookups_total{result}.
 */
import type { GenerateRequest } from '../../../../shared/api/chat.ts';
import { idsIn } from '../../../../shared/cache/entities.ts';
import { ORDER_ENTITY } from '../../../../shared/routing/route-for.ts';
import type { OrderLookup } from '../../orders/order-lookup.ts';
import type { OrderReplies } from '../../orders/order-reply.ts';
import type { GenerateDeps } from '../pipeline.ts';
import type { Run } from './run.ts';

export const ORDER_GENERATOR = 'order';
export const ORDER_LOOKUP_UNAVAILABLE = 'order_lookup_unavailable';

export interface OrderAnswers {
  lookup: OrderLookup;
  replies: OrderReplies;
  /** Told each lookup's result (metrics). */
  onLookup?: (result: 'found' | 'not_found' | 'unavailable') => void;
  /** Told why a lookup failed (the request log). */
  onUnavailable?: (message: string) => void;
}

export interface OrderReply {
  text: string;
  source: { id: string; title: string };
}

export async function orderStage(
  req: GenerateRequest,
  query: string,
  p: { intent?: string; continuation: boolean },
  deps: GenerateDeps,
  run: Run,
  signal?: AbortSignal,
): Promise<OrderReply | null> {
  const o = deps.orders;
  if (!o || p.continuation || !p.intent || !o.replies.intents.has(p.intent)) return null;
  const id = req.resolved?.entities?.find((e) => e.kind === ORDER_ENTITY)?.value ?? idsIn(query, deps.idPatterns).find((e) => e.kind === ORDER_ENTITY)?.value;
  if (!id) return null;
  const t = performance.now();
  try {
    const r = await o.lookup.lookup(o.replies.spell(id), signal);
    o.onLookup?.(r.found ? 'found' : 'not_found');
    const source = { id: `order:${o.replies.spell(id)}`, title: `Order ${o.replies.spell(id)}` };
    return { text: r.found ? o.replies.found(r.order, query) : o.replies.notFound(id), source };
  } catch (e) {
    o.onLookup?.('unavailable');
    o.onUnavailable?.((e as Error).message);
    run.fallback(ORDER_LOOKUP_UNAVAILABLE);
    return null;
  } finally {
    run.stage('order', performance.now() - t);
  }
}
