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
 * gives the email it was placed with, and to the session that did, for its session's life
 * (orders/session-proofs.ts, in the region's store). Without an email and without such a proof, the
 * pack's `askEmail` with no lookup at all, so the answer says nothing of the order, not even whether
 * it exists (switchyard_order_email_asks_total). With one, the attempt is counted first (past
 * ORDER_VERIFY_MAX_ATTEMPTS for the order in the session: `tooManyAttempts`, no lookup, fallback
 * `order_attempts_exceeded`), then the lookup and the digest comparison, made alike for an unknown
 * id (against a digest nobody's email has) and a known one, so the two take the same steps; an
 * unknown id and another email get the one `notFoundWithEmail` answer, so neither is an oracle for
 * the other. The store failing: no proof is read or kept (`order_checks_unavailable`), the email
 * check itself goes on. ORDER_VERIFY=none: the id alone (a site whose shoppers are signed in first).
 */
import type { GenerateRequest } from '../../../../shared/api/chat.ts';
import { idsIn } from '../../../../shared/cache/entities.ts';
import { emailIn, withoutEmails } from '../../../../shared/privacy/pii.ts';
import { ORDER_ENTITY } from '../../../../shared/routing/route-for.ts';
import type { OrderLookup } from '../../orders/order-lookup.ts';
import type { OrderReplies } from '../../orders/order-reply.ts';
import { ownedBy } from '../../orders/owner.ts';
import type { OrderProofs, Standing } from '../../orders/session-proofs.ts';
import type { GenerateDeps } from '../pipeline.ts';
import type { Run } from './run.ts';

export const ORDER_GENERATOR = 'order';
export const ORDER_LOOKUP_UNAVAILABLE = 'order_lookup_unavailable';
/** A session gave more emails for an order than ORDER_VERIFY_MAX_ATTEMPTS allows: refused, no lookup. */
export const ORDER_ATTEMPTS_EXCEEDED = 'order_attempts_exceeded';
/** The store of proofs and attempts failed or was slow: nothing remembered, the email checked as given. */
export const ORDER_CHECKS_UNAVAILABLE = 'order_checks_unavailable';

export interface OrderAnswers {
  lookup: OrderLookup;
  replies: OrderReplies;
  /** ORDER_VERIFY: `email`, an order's details only with the email it was placed with; `none`, with its id alone. */
  verify: 'email' | 'none';
  /** Told each lookup's result (metrics): `email_mismatch`, found but placed with another email. */
  onLookup?: (result: 'found' | 'not_found' | 'email_mismatch' | 'unavailable') => void;
  /** Told of each ask for the email, made with no lookup (metrics). */
  onEmailAsked?: () => void;
  /** ORDER_VERIFY=email: which orders each session has proven, and its attempts; none: nothing remembered, nothing limited. */
  proofs?: OrderProofs;
  /** Told of what the proofs did (metrics): `proven` (remembered), `remembered` (answered by one), `refused` (too many attempts). */
  onCheck?: (result: 'proven' | 'remembered' | 'refused') => void;
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
  // This message's own email; an earlier turn's is kept nowhere (stored turns are redacted), only the session's proof.
  const email = o.verify === 'email' ? emailIn(req.message) : null;
  const checked = o.verify === 'email' ? await checkStanding(o, req.sessionId, spelled, email, run) : 'open';
  if (checked === 'locked') {
    o.onCheck?.('refused');
    run.fallback(ORDER_ATTEMPTS_EXCEEDED);
    return { text: o.replies.tooManyAttempts(id), source };
  }
  if (o.verify === 'email' && !email && checked !== 'proven') {
    o.onEmailAsked?.();
    return { text: o.replies.askEmail(id), source };
  }
  const t = performance.now();
  try {
    const r = await o.lookup.lookup(spelled, signal);
    if (!email) {
      o.onLookup?.(r.found ? 'found' : 'not_found');
      if (checked === 'proven') o.onCheck?.('remembered');
      const gone = o.verify === 'email' ? o.replies.notFoundWithEmail(id) : o.replies.notFound(id);
      return { text: r.found ? o.replies.found(r.order, query) : gone, source };
    }
    // An unknown id is compared too (against nobody's digest): both ways take the same steps.
    const owned = ownedBy(r.found ? r.owner : undefined, email);
    o.onLookup?.(owned ? 'found' : r.found ? 'email_mismatch' : 'not_found');
    if (owned) await remember(o, req.sessionId, spelled, run);
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

/** With an email, counts the attempt; without, reads the proof. A failing store: `open` (asked, or checked unremembered). */
async function checkStanding(o: OrderAnswers, sessionId: string, orderId: string, email: string | null, run: Run): Promise<Standing> {
  if (!o.proofs) return 'open';
  try {
    return email ? await o.proofs.attempt(sessionId, orderId) : await o.proofs.standing(sessionId, orderId);
  } catch {
    run.fallback(ORDER_CHECKS_UNAVAILABLE);
    return 'open';
  }
}

async function remember(o: OrderAnswers, sessionId: string, orderId: string, run: Run): Promise<void> {
  if (!o.proofs) return;
  try {
    await o.proofs.prove(sessionId, orderId);
    o.onCheck?.('proven');
  } catch {
    run.fallback(ORDER_CHECKS_UNAVAILABLE);
  }
}
