/**
 * The intent of a message in its conversation (shared/conversation/intent-in-context.ts): an
 * unsure classification settled by the turn a follow-up leans on, and social messages ("ok thx")
 * recognised from their words (shared/conversation/courtesy.ts), checked on the store's own
 * labelled messages; and the pack checker's rule for `courtesyIntent`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import catalog from '../domains/kitsune-books/kb/catalog.json';
import terms from '../domains/kitsune-books/entities.json';
import conversation from '../domains/kitsune-books/conversation.json';
import routesJson from '../domains/kitsune-books/routes.json';
import { entityPatternsOf } from '../shared/cache/entities.ts';
import { dialogueEntitiesFor } from '../shared/conversation/conversation-data.ts';
import { isCourtesyOnly } from '../shared/conversation/courtesy.ts';
import { resolveFollowUp, type ContextTurn } from '../shared/conversation/follow-up.ts';
import { intentInContext } from '../shared/conversation/intent-in-context.ts';
import { checkPack, formatIssue } from '../shared/domain/pack-check.ts';
import { readPackFiles } from '../models/pipeline/domain-pack.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import type { IntentPrediction } from '../shared/models/intent-classifier.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';

const ex = dialogueEntitiesFor(terms.term, catalog, conversation, entityPatternsOf(terms.patterns));
const routes = parseIntentRoutes(routesJson);
const STORE = join(repoRoot(), 'domains/kitsune-books');
const unsure = (intent: string, confidence = 0.4): IntentPrediction => ({ intent, topLabel: intent, confidence, confident: false });

/** The second message resolved after a first one whose turn had `intent`. */
function after(first: string, intent: string, message: string) {
  const r0 = resolveFollowUp(first, [], ex);
  const turns: ContextTurn[] = [{ text: r0.text, entities: r0.entities, intent }];
  return resolveFollowUp(message, turns, ex);
}

function decide(pred: IntentPrediction, message: string, resolution = resolveFollowUp(message, [], ex), courtesyIntent = ex.courtesyIntent) {
  const carried: string[] = [];
  return { pred: intentInContext(pred, { message, resolution, routes, courtesyIntent }, carried), carried };
}

describe('social messages', () => {
  it.each(['ok thx', 'thx!', 'great, thank you so much!', 'hi there', 'ok bye', 'cheers', 'got it, thanks a lot', 'k tysm'])('%s is only social', (m) => {
    expect(isCourtesyOnly(m)).toBe(true);
  });

  it.each(['ok, is it in stock?', 'thanks, and One Piece?', 'ok thx?', 'is that it', 'hello, do you ship to Canada', 'thanks for shipping my order', 'you are useless'])('%j is not', (m) => {
    expect(isCourtesyOnly(m)).toBe(false);
  });

  it("takes only messages the store's data labels as its courtesy intent, and a fair share of those", () => {
    let taken = 0;
    let greetings = 0;
    for (const split of ['train', 'val', 'test']) {
      for (const line of readFileSync(join(STORE, `intents/${split}.jsonl`), 'utf8').split('\n').filter(Boolean)) {
        const { text, label } = JSON.parse(line) as { text: string; label: string };
        if (label === ex.courtesyIntent) greetings++;
        if (!isCourtesyOnly(text)) continue;
        taken++;
        expect(label, text).toBe(ex.courtesyIntent);
      }
    }
    expect(taken / greetings).toBeGreaterThan(0.15);
  });
});

describe('intent in context', () => {
  it('leaves a confident classification alone', () => {
    const pred: IntentPrediction = { intent: 'return_policy', topLabel: 'return_policy', confidence: 0.99, confident: true };
    expect(decide(pred, 'ok thx').pred).toBe(pred);
    expect(decide(pred, 'what does that cost?', after('do you ship to Japan?', 'shipping_info', 'what does that cost?')).pred).toBe(pred);
  });

  it("answers an unsure social message from the domain's courtesy intent, confidently, and nothing else", () => {
    expect(decide(unsure('greeting_chitchat', 0.9), 'ok thx').pred).toMatchObject({ intent: 'greeting_chitchat', confident: true });
    expect(decide(unsure('shipping_info', 0.3), 'thx!').pred).toMatchObject({ intent: 'greeting_chitchat', confident: true });
    expect(decide(unsure('return_policy', 0.9), 'ok, what is the return window?').pred).toMatchObject({ intent: 'return_policy', confident: false });
    // a domain without a courtesy intent, or naming one it has no route for
    const resolution = resolveFollowUp('ok thx', [], ex);
    for (const courtesyIntent of [undefined, 'no_such_intent']) {
      expect(intentInContext(unsure('greeting_chitchat', 0.9), { message: 'ok thx', resolution, routes, courtesyIntent }, []).confident).toBe(false);
    }
  });

  it('an ellipsis resolved with confidence keeps the previous intent, confidently', () => {
    const r = after('How much is Berserk Deluxe Edition volume 1?', 'price_availability', 'and volume 2?');
    expect(r.carried).toContain('frame');
    const { pred, carried } = decide(unsure('product_question'), 'and volume 2?', r);
    expect(pred).toMatchObject({ intent: 'price_availability', confident: true });
    expect(carried).toEqual(['intent:price_availability']);
  });

  it("a fragment asked after the previous question takes that turn's intent when the classifier is unsure, still unsure", () => {
    const r = after('Do you ship to Japan?', 'shipping_info', 'what does that cost?');
    expect(r).toMatchObject({ kind: 'resolved', form: 'append-question' });
    for (const guess of ['oos', 'recommendation', 'return_policy']) {
      const { pred, carried } = decide(unsure(guess, 0.3), 'what does that cost?', r);
      expect(pred).toMatchObject({ intent: 'shipping_info', confident: false, confidence: 0.3 });
      expect(carried).toEqual(['intent:shipping_info']);
    }
    // the same guess already: nothing carried
    expect(decide(unsure('shipping_info', 0.6), 'what does that cost?', r).carried).toEqual([]);
  });

  it("a pronoun follow-up put out of scope takes the in-scope turn's intent; another in-scope guess stands", () => {
    const r = after('How much is Berserk Deluxe Edition volume 1?', 'price_availability', 'who drew it?');
    expect(r).toMatchObject({ kind: 'resolved', form: 'pronoun' });
    expect(decide(unsure('oos'), 'who drew it?', r).pred).toMatchObject({ intent: 'price_availability', confident: false });
    expect(decide(unsure('product_question'), 'who drew it?', r).pred.intent).toBe('product_question');
    // a product written after a fragment ("how much — frieren") is not the earlier question: the guess stands
    const p = after('I want something like Frieren', 'recommendation', 'how much?');
    expect(p.form).toBe('append-product');
    expect(decide(unsure('price_availability'), 'how much?', p).pred.intent).toBe('price_availability');
  });

  it('keeps the classifier where context says nothing: an out-of-scope context, a weak or missing resolution', () => {
    const r = after('Do you ship to Japan?', 'shipping_info', 'what does that cost?');
    const afterOos = after('who won the match last night?', 'oos', 'and what about the day before?');
    expect(decide(unsure('oos'), 'and what about the day before?', afterOos).pred.intent).toBe('oos');
    const nothing = resolveFollowUp('is it in stock?', [], ex);
    expect(nothing.kind).toBe('unresolved');
    expect(decide(unsure('oos'), 'is it in stock?', nothing).pred.intent).toBe('oos');
    const weak = { ...r, confidence: 0.5 };
    expect(decide(unsure('oos'), 'what does that cost?', weak).pred.intent).toBe('oos');
  });
});

describe('courtesyIntent in a pack', () => {
  it('must be a template intent of the domain', () => {
    const files = readPackFiles(STORE);
    const withIntent = (intent: string) => ({ ...files, 'conversation.json': JSON.stringify({ ...JSON.parse(files['conversation.json']), courtesyIntent: intent }, null, 2) });
    const ok = checkPack(withIntent('greeting_chitchat'), undefined, { dataRules: false });
    expect(ok.ok, ok.ok ? '' : ok.issues.map(formatIssue).join('\n')).toBe(true);
    for (const bad of ['shipping_info', 'no_such_intent']) {
      const r = checkPack(withIntent(bad), undefined, { dataRules: false });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues.map(formatIssue).join('\n')).toMatch(/conversation\.json:\d+: courtesyIntent/);
    }
  });
});
