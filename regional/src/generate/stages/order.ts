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
 *
 * Ownership (ORDER_VERIFY=email, the default; docs/orders.md): an order's details go only to whoever
 * gives the email it was placed with, in this very message (the reply to the ask, or the question
 * itself); nothing keeps it for a later turn. Without one, the pack's `askEmail` with no lookup at
 * all, so the answer says nothing of the order, not even whether it exists
 * (switchyard_order_email_asks_total). With one, the lookup, and the record's answer only when the
 * record's email digest matches; an unknown id and another email get the one `notFoundWithEmail`
 * answer, so neither is an oracle for the other. ORDER_VERIFY=none: the id alone (a site whose
 * shoppers are signed in before they reach the chat).
 */
import type { GenerateRequest } from '../../../../shared/api/chat.ts';
import { idsIn } from '../../../../shared/cache/entities.ts';
import { emailIn, withoutEmails } from '../../../../shared/privacy/pii.ts';
import { ORDER_ENTITY } from '../../../../shared/routing/route-for.ts';
import type { OrderLookup } from '../../orders/order-lookup.ts';
import type { OrderReplies } from '../../orders/order-reply.ts';
import { ownedBy } from '../../orders/owner.ts';
import type { GenerateDeps } from '../pipeline.ts';
import type { Run } from './run.ts';

export const ORDER_GENERATOR = 'order';
export const ORDER_LOOKUP_UNAVAILABLE = 'order_lookup_unavailable';

export interface OrderAnswers {
  lookup: OrderLookup;
  replies: OrderReplies;
  /** ORDER_VERIFY: `email`, an order's details only with the email it was placed with; `none`, with its id alone. */
  verify: 'email' | 'none';
  /** Told each lookup's result (metrics): `email_mismatch`, found but placed with another email. */
  onLookup?: (result: 'found' | 'not_found' | 'email_mismatch' | 'unavailable') => void;
  /** Told of each ask for the email, made with no lookup (metrics). */
  onEmailAsked?: () => void;
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
  const id = req.resolved?.entities?.find((e) => e.kind === ORDER_ENTITY)?.value ?? idsIn(withoutEmails(query), deps.idPatterns).find((e) => e.kind === ORDER_ENTITY)?.value;
  if (!id) return null;
  const spelled = o.replies.spell(id);
  const source = { id: `order:${spelled}`, title: `Order ${spelled}` };
  // This message's own email only: an earlier turn's is kept nowhere (stored turns are redacted).
  const email = o.verify === 'email' ? emailIn(req.message) : null;
  if (o.verify === 'email' && !email) {
    o.onEmailAsked?.();
    return { text: o.replies.askEmail(id), source };
  }
  const t = performance.now();
  try {
    const r = await o.lookup.lookup(spelled, signal);
    if (!email) {
      o.onLookup?.(r.found ? 'found' : 'not_found');
      return { text: r.found ? o.replies.found(r.order, query) : o.replies.notFound(id), source };
    }
    const owned = r.found && ownedBy(r.owner, email);
    o.onLookup?.(owned ? 'found' : r.found ? 'email_mismatch' : 'not_found');
    return { text: r.found && owned ? o.replies.found(r.order, query) : o.replies.notFoundWithEmail(id), source };
  } catch (e) {
    o.onLookup?.('unavailable');
    o.onUnavailable?.((e as Error).message);
    run.fallback(ORDER_LOOKUP_UNAVAILABLE);
    return null;
  } finally {
    run.stage('order', performance.now() - t);
  }
}
