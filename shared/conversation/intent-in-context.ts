/**
 * The intent of a message in the light of its conversation, after the classifier has read the
 * resolved text. A `decisive` cue rule (conversation.json `intentCues`: a price comparison of two
 * or more titles) says the intent whatever the classifier read, with the classifier's confidence.
 * Otherwise the classifier's confident answer stands; an unsure one is settled by context:
 *   - an ellipsis resolved with confidence ("and volume 2?") re-asks the previous question, so the
 *     previous turn's intent stands, confidently (the answer may be a template or a cache hit) —
 *     unless the re-asked words cue another intent (below), which then wins, still unsure;
 *   - a fragment resolved with confidence by writing the previous question after it ("what does
 *     that cost — can you send books to Japan?") asks about that question's topic: an unsure
 *     guess, which the appended words easily sway ("what would that set me back — …" read as
 *     returns), takes that turn's intent, still unsure (it goes to the region, which reads the
 *     intent for retrieval and answers);
 *   - any other follow-up resolved with confidence against an in-scope turn is about the store,
 *     so an unsure `oos` takes that turn's intent, still unsure;
 *   - a message about a product, its own or carried, whose words cue one intent (a price word:
 *     the price; "tell me about": its content; conversation.json `intentCues`) takes that intent,
 *     still unsure;
 *   - a standalone message made only of thanks, acknowledgement or greeting words ("ok thx") is the
 *     domain's courtesy intent, confidently (conversation.json `courtesyIntent`);
 *   - a message that names one of the store's products or orders is never confidently small talk
 *     ("have you got berserk" read as a greeting): that reading becomes unsure, so cue words or
 *     the region settle it, not the greeting's template.
 * An intent taken from an earlier turn is named in `carried` ("intent:<name>") for the route event.
 */
import { OOS, type IntentPrediction } from '../models/intent-classifier.ts';
import type { IntentRoutes } from '../routing/intent-routes.ts';
import { isCourtesyOnly } from './courtesy.ts';
import { CONFIDENT_RESOLUTION, type FollowUpResolution } from './follow-up.ts';
import type { DialogueEntity } from './dialogue-entities.ts';

export interface IntentContext {
  message: string;
  resolution: FollowUpResolution;
  routes: IntentRoutes;
  /** The domain's intent for social messages, if any. */
  courtesyIntent?: string;
  /** The intent the domain's cue words give a message about these entities (DialogueEntities.cueIntent), if any. */
  cueIntent?: (text: string, entities: readonly DialogueEntity[]) => string | undefined;
  /** The intent a decisive cue rule gives the message (DialogueEntities.decisiveIntent), if any. */
  decisiveIntent?: (text: string, entities: readonly DialogueEntity[]) => string | undefined;
}

export function intentInContext(pred: IntentPrediction, ctx: IntentContext, carried: string[]): IntentPrediction {
  const r = ctx.resolution;
  const known = (intent: string | undefined): intent is string => !!intent && !!ctx.routes.intents[intent];
  const decisive = ctx.decisiveIntent?.(r.text, r.entities);
  if (known(decisive) && decisive !== pred.intent) return { ...pred, intent: decisive };
  const smallTalkAboutItem = pred.intent === ctx.courtesyIntent && r.kind === 'standalone' && r.entities.some((e) => e.kind === 'product' || e.kind === 'order');
  if (pred.confident && !smallTalkAboutItem) return pred;
  if (smallTalkAboutItem) pred = { ...pred, confident: false };
  if (r.kind === 'standalone' && known(ctx.courtesyIntent) && isCourtesyOnly(ctx.message)) return { ...pred, intent: ctx.courtesyIntent, confident: true };
  // the words of an earlier question written after an unsure fragment are not this message's cues
  const cued = r.form === 'append-question' && r.confidence < CONFIDENT_RESOLUTION ? undefined : ctx.cueIntent?.(r.text, r.entities);
  const byCue = known(cued) && cued !== pred.intent ? { ...pred, intent: cued } : pred;
  const intent = r.contextIntent;
  if (r.kind !== 'resolved' || !known(intent) || r.confidence < CONFIDENT_RESOLUTION) return byCue;
  if (r.carried.includes('frame') && (!known(cued) || cued === intent)) {
    carried.push(`intent:${intent}`);
    return { ...pred, intent, confident: true };
  }
  if ((!known(cued) || cued === intent) && intent !== OOS && pred.intent !== intent && (r.form === 'append-question' || pred.intent === OOS)) {
    carried.push(`intent:${intent}`);
    return { ...pred, intent };
  }
  return byCue;
}
