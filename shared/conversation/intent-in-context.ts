/**
 * The intent of a message in the light of its conversation, after the classifier has read the
 * resolved text. The classifier's confident answer stands; an unsure one is settled by context:
 *   - an ellipsis resolved with confidence ("and volume 2?") re-asks the previous question, so the
 *     previous turn's intent stands, confidently (the answer may be a template or a cache hit);
 *   - a fragment resolved with confidence by writing the previous question after it ("what does
 *     that cost — can you send books to Japan?") asks about that question's topic: an unsure
 *     guess, which the appended words easily sway ("what would that set me back — …" read as
 *     returns), takes that turn's intent, still unsure (it goes to the region, which reads the
 *     intent for retrieval and answers);
 *   - any other follow-up resolved with confidence against an in-scope turn is about the store,
 *     so an unsure `oos` takes that turn's intent, still unsure;
 *   - a standalone message made only of thanks, acknowledgement or greeting words ("ok thx") is the
 *     domain's courtesy intent, confidently (conversation.json `courtesyIntent`).
 * An intent taken from an earlier turn is named in `carried` ("intent:<name>") for the route event.
 */
import { OOS, type IntentPrediction } from '../models/intent-classifier.ts';
import type { IntentRoutes } from '../routing/intent-routes.ts';
import { isCourtesyOnly } from './courtesy.ts';
import { CONFIDENT_RESOLUTION, type FollowUpResolution } from './follow-up.ts';

export interface IntentContext {
  message: string;
  resolution: FollowUpResolution;
  routes: IntentRoutes;
  /** The domain's intent for social messages, if any. */
  courtesyIntent?: string;
}

export function intentInContext(pred: IntentPrediction, ctx: IntentContext, carried: string[]): IntentPrediction {
  if (pred.confident) return pred;
  const r = ctx.resolution;
  const known = (intent: string | undefined): intent is string => !!intent && !!ctx.routes.intents[intent];
  if (r.kind === 'standalone') {
    if (!known(ctx.courtesyIntent) || !isCourtesyOnly(ctx.message)) return pred;
    return { ...pred, intent: ctx.courtesyIntent, confident: true };
  }
  const intent = r.contextIntent;
  if (r.kind !== 'resolved' || !known(intent) || r.confidence < CONFIDENT_RESOLUTION) return pred;
  if (r.carried.includes('frame')) {
    carried.push(`intent:${intent}`);
    return { ...pred, intent, confident: true };
  }
  if (intent !== OOS && pred.intent !== intent && (r.form === 'append-question' || pred.intent === OOS)) {
    carried.push(`intent:${intent}`);
    return { ...pred, intent };
  }
  return pred;
}
