/**
 * The intent of a message in its conversation (shared/conversation/intent-in-context.ts): an
 * unsure classification settled by the turn a follow-up leans on, by the cue words of a message
 * about a product (shared/conversation/intent-cues.ts), and social messages ("ok thx")
 * recognised from their words (shared/conversation/courtesy.ts), the last two checked on the
 * store's own labelled messages; and the pack checker's rules for `courtesyIntent` and `intentCues`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import catalog from '../domains/kitsune-books/kb/catalog.json';
import terms from '../domains/kitsune-books/entities.json';
import conversation from '../domains/kitsune-books/conversation.json';
import routesJson from '../domains/kitsune-books/routes.json';
import { entityPatternsOf, gazetteerOf } from '../shared/cache/entities.ts';
import { dialogueEntitiesFor } from '../shared/conversation/conversation-data.ts';
import { isCourtesyOnly, withoutCourtesyLead } from '../shared/conversation/courtesy.ts';
import { resolveFollowUp, type ContextTurn } from '../shared/conversation/follow-up.ts';
import { intentInContext } from '../shared/conversation/intent-in-context.ts';
import { checkPack, formatIssue } from '../shared/domain/pack-check.ts';
import { readPackFiles } from '../models/pipeline/domain-pack.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import type { IntentPrediction } from '../shared/models/intent-classifier.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';

const ex = dialogueEntitiesFor(gazetteerOf(terms), catalog, conversation, entityPatternsOf(terms.patterns));
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
  return { pred: intentInContext(pred, { message, resolution, routes, courtesyIntent, cueIntent: (t, e) => ex.cueIntent(t, e), decisiveIntent: (t, e) => ex.decisiveIntent(t, e) }, carried), carried };
}

/** The store's labelled messages, every split. */
function labelled(): { text: string; label: string }[] {
  return ['train', 'val', 'test'].flatMap((split) =>
    readFileSync(join(STORE, `intents/${split}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { text: string; label: string }),
  );
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
    for (const { text, label } of labelled()) {
      if (label === ex.courtesyIntent) greetings++;
      if (!isCourtesyOnly(text)) continue;
      taken++;
      expect(label, text).toBe(ex.courtesyIntent);
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
    const r = after('How much is Berserk Deluxe Edition volume 1?', 'price_availability', 'is it any good?');
    expect(r).toMatchObject({ kind: 'resolved', form: 'pronoun' });
    expect(decide(unsure('oos'), 'is it any good?', r).pred).toMatchObject({ intent: 'price_availability', confident: false });
    expect(decide(unsure('recommendation'), 'is it any good?', r).pred.intent).toBe('recommendation');
    // words that cue another intent win over the earlier turn's ("who drew" asks about the book)
    const drew = after('How much is Berserk Deluxe Edition volume 1?', 'price_availability', 'who drew it?');
    expect(decide(unsure('oos'), 'who drew it?', drew).pred).toMatchObject({ intent: 'product_question', confident: false });
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

describe('intent cues: what a message about a product asks', () => {
  const cue = (message: string, resolution = resolveFollowUp(message, [], ex)) => ex.cueIntent(resolution.text, resolution.entities);

  it('reads a price or stock word said of a product as its price, and "tell me about" a title as its content', () => {
    expect(cue("I'm looking at Naruto volume 2 - what does it cost?")).toBe('price_availability');
    expect(cue('would Frieren vol 3 set me back much?')).toBe('price_availability');
    expect(cue('any copies of Dandadan vol 2 left?')).toBe('price_availability');
    expect(cue('Tell me about Witch Hat Atelier, Vol. 1')).toBe('product_question');
    expect(cue("I'm curious about Yotsuba&!, Vol. 1")).toBe('product_question');
    expect(cue('who wrote Neuromancer?')).toBe('product_question');
  });

  it('uses a product carried from an earlier turn', () => {
    const r = after('Tell me about The Art of Spirited Away', 'product_question', 'what would it cost me?');
    expect(r.entities).toContainEqual({ kind: 'product', value: 'the art of spirited away' });
    expect(cue('what would it cost me?', r)).toBe('price_availability');
    expect(cue('what would it cost me?')).toBeUndefined(); // no product: nothing to go on
  });

  it('refuses to guess: no product, a destination or an order, both intents cued, or a word that says otherwise', () => {
    for (const m of [
      'what does it cost?',
      'how much does shipping One Piece vol 1 to Canada cost?',
      'how much did order KB-48213 cost?',
      'tell me about Berserk, how much is it?',
      'how much is my One Piece collection worth?',
      'write a summary of Frankenstein',
      'what about Berserk vol 2?',
    ]) {
      expect(cue(m), m).toBeUndefined();
    }
  });

  it('does not read cue words inside a title', () => {
    // "my" would say it is the shopper's own copy; here it is part of "My Hero Academia"
    expect(cue('how much is My Hero Academia vol 40?')).toBe('price_availability');
  });

  it('agrees with the labels of the store\'s labelled messages it applies to (at least 95%)', () => {
    const cued = labelled().flatMap(({ text, label }) => {
      const intent = ex.cueIntent(text, []);
      return intent ? [{ text, label, intent }] : [];
    });
    expect(cued.length).toBeGreaterThan(150);
    const wrong = cued.filter((c) => c.intent !== c.label);
    expect(wrong.length / cued.length, wrong.map((w) => `${w.label} <- ${w.intent}: ${w.text}`).join('\n')).toBeLessThan(0.05);
  });

  it('settles an unsure guess, still unsure; never a confident one', () => {
    expect(decide(unsure('product_question', 0.34), "I'm looking at Naruto volume 2 - what does it cost?").pred).toMatchObject({ intent: 'price_availability', confident: false, confidence: 0.34 });
    expect(decide(unsure('recommendation', 0.33), "I'm interested in Neuromancer. What's it about?").pred).toMatchObject({ intent: 'product_question', confident: false });
    const sure: IntentPrediction = { intent: 'product_question', topLabel: 'product_question', confidence: 0.97, confident: true };
    expect(decide(sure, "I'm looking at Naruto volume 2 - what does it cost?").pred).toBe(sure);
    // nothing carried from an earlier turn
    expect(decide(unsure('product_question'), "what's the price of Delicious in Dungeon vol 1").carried).toEqual([]);
  });

  it('an ellipsis whose re-asked words cue another intent than the earlier turn had takes the cued one, unsure', () => {
    // the earlier turn was taken for a product question; re-asked for volume 3 it is a price question
    const r = after("I'm looking at Naruto volume 2 - what does it cost?", 'product_question', 'same question for volume 3');
    expect(r.carried).toContain('frame');
    const { pred, carried } = decide(unsure('product_question', 0.29), 'same question for volume 3', r);
    expect(pred).toMatchObject({ intent: 'price_availability', confident: false });
    expect(carried).toEqual([]);
    // when the cue agrees with the earlier turn, the ellipsis keeps it confidently
    const agreed = after("I'm looking at Naruto volume 2 - what does it cost?", 'price_availability', 'same question for volume 3');
    expect(decide(unsure('product_question', 0.29), 'same question for volume 3', agreed).pred).toMatchObject({ intent: 'price_availability', confident: true });
  });
});

describe('conversation rules in a pack', () => {
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

  it('intent cues must name intents of the domain and entity kinds the extractor makes', () => {
    const files = readPackFiles(STORE);
    const withCues = (cues: unknown) => ({ ...files, 'conversation.json': JSON.stringify({ ...JSON.parse(files['conversation.json']), intentCues: cues }, null, 2) });
    const rule = { intent: 'price_availability', with: ['product'], cues: ['how much'] };
    expect(checkPack(withCues([rule]), undefined, { dataRules: false }).ok).toBe(true);
    const unknown = checkPack(withCues([rule, { ...rule, intent: 'no_such_intent' }]), undefined, { dataRules: false });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.issues.map(formatIssue).join('\n')).toMatch(/conversation\.json:\d+: intentCues\[1\]\.intent: "no_such_intent"/);
    expect(checkPack(withCues([{ ...rule, with: ['series'] }]), undefined, { dataRules: false }).ok).toBe(false);
  });
});

describe('phrasing nobody tuned for (eval/dialogues-holdout.jsonl)', () => {
  it('takes a question without its mark for a question, not a thanks', async () => {
    const { asksSomething } = await import('../shared/conversation/courtesy.ts');
    expect(asksSomething("who's it by")).toBe(true);
    expect(asksSomething('ok how much')).toBe(true);
    expect(asksSomething('ok that answers it, ty')).toBe(false);
    expect(asksSomething('have a lovely evening')).toBe(false);
  });

  it('settles "suitable for a 12 year old" about a title by the cue words', () => {
    expect(ex.cueIntent('would jujutsu kaisen be suitable for a 12 year old', [])).toBe('product_question');
  });
});

describe('a courtesy sentence before a question (withoutCourtesyLead)', () => {
  it.each([
    ['thanks! unrelated but do you guys take apple pay', 'unrelated but do you guys take apple pay'],
    ['ok great, and what about express to canada', 'and what about express to canada'],
    ['thanks so much!', 'thanks so much!'], // nothing after it
    ['ok, volume 2?', 'ok, volume 2?'], // fewer than three words after it
    ['sorry, do you ship to japan', 'sorry, do you ship to japan'], // not a courtesy word
    ['do you take paypal, thanks', 'do you take paypal, thanks'], // courtesy at the end
    ['hi there! how are you today?', 'hi there! how are you today?'], // small talk after it: the whole is a greeting
    ["hey, how's it going guys", "hey, how's it going guys"],
    ['hello! hope you are well', 'hello! hope you are well'],
    ['hi! how are you? do you ship to japan', 'how are you? do you ship to japan'], // a question after the small talk
    ["hey, what's up with my order 10234", "what's up with my order 10234"], // not small talk: it names an order
  ])('%s', (message, expected) => {
    expect(withoutCourtesyLead(message)).toBe(expected);
  });
});

describe('a price comparison of titles (conversation.json intentCues, decisive; eval/dialogues-holdout2.jsonl)', () => {
  const sure = (intent: string): IntentPrediction => ({ intent, topLabel: intent, confidence: 0.97, confident: true });

  it.each([
    'im choosing between the shining, mexican gothic or the blade itself. which is cheapest',
    'dorohedoro 1 or blame master edition 1, which costs less',
    'is dune or the hobbit more expensive?',
  ])('asks the prices, however sure the classifier is of another intent: %s', (message) => {
    const { pred } = decide(sure('product_question'), message);
    expect(pred.intent).toBe('price_availability');
    expect(pred.confident).toBe(true);
  });

  it.each([
    ['is the hobbit cheaper as an ebook', 'product_question'], // one title: the classifier's reading stands
    ['is shipping to canada cheaper than to mexico', 'shipping_info'],
    ['which is better, the shining or mexican gothic', 'product_question'], // no price word
  ])('leaves other messages to the classifier: %s', (message, intent) => {
    expect(decide(sure(intent), message).pred.intent).toBe(intent);
  });
});

describe('price words of a third held-out set (eval/dialogues-holdout3.jsonl)', () => {
  it('reads "which is the better deal" of two titles as a price comparison, decisively', () => {
    const sure = { intent: 'product_question', topLabel: 'product_question', confidence: 0.95, confident: true };
    expect(decide(sure, 'overlord 1 vs classroom of the elite 1, which is the better deal').pred.intent).toBe('price_availability');
    expect(decide(sure, 'is overlord 1 a better deal than buying it used').pred.intent).toBe('product_question'); // one title: no comparison
  });

  it('reads "what does it go for" of a title as its price when the classifier is unsure', () => {
    expect(decide(unsure('product_question'), 'saga volume 2, what does that go for').pred.intent).toBe('price_availability');
  });
});

describe('phrasing of a fourth held-out set (eval/dialogues-holdout4.jsonl)', () => {
  const cue = (message: string, resolution = resolveFollowUp(message, [], ex)) => ex.cueIntent(resolution.text, resolution.entities);

  it('reads a shipping word said of a destination, an order word said of an order id, and a release word said of a title', () => {
    expect(cue('postage to norway please')).toBe('shipping_info');
    expect(decide(unsure('human_agent'), 'postage to norway please').pred).toMatchObject({ intent: 'shipping_info', confident: false });
    expect(cue("what's going on with KB-12345, any news")).toBe('order_status');
    expect(decide(unsure('recommendation'), "what's going on with KB-12345, any news").pred.intent).toBe('order_status');
    expect(cue('has naruto vol 3 come out yet')).toBe('price_availability');
    // a destination and a title together, or a title with an order: no cue of these
    expect(cue('how much is shipping One Piece vol 1 to Canada')).toBeUndefined();
  });

  it('does not read the cue words of an earlier question written after an unsure fragment', () => {
    const r = after('Do you ship to Japan?', 'shipping_info', 'what does that cost?');
    expect(decide(unsure('oos'), 'what does that cost?', { ...r, confidence: 0.5 }).pred.intent).toBe('oos');
    // a confident one: the turn's intent, carried, even where its words cue the same intent
    expect(decide(unsure('oos', 0.3), 'what does that cost?', r).carried).toEqual(['intent:shipping_info']);
  });
});

describe('a product named in what reads as small talk', () => {
  const sureGreeting = (confidence = 0.67): IntentPrediction => ({ intent: 'greeting_chitchat', topLabel: 'greeting_chitchat', confidence, confident: true });

  it('is not answered as a greeting: "have you got berserk" asks for the title', () => {
    for (const m of ['have you got berserk', 'you guys have dandadan?', 'got any frieren', 'do you carry vinland saga']) {
      const { pred } = decide(sureGreeting(), m);
      expect(pred.intent, m).toBe('price_availability');
      expect(pred.confident, m).toBe(false); // unsure: the region answers it, from the title's row
    }
  });

  it('an order id said as small talk is not a greeting either; what the cues do not settle stays unsure', () => {
    expect(decide(sureGreeting(), 'hey KB-48213').pred).toMatchObject({ intent: 'greeting_chitchat', confident: false });
  });

  it('leaves real small talk alone, and a title carried from an earlier turn does not count', () => {
    expect(decide(sureGreeting(), 'hi there!').pred).toMatchObject({ intent: 'greeting_chitchat', confident: true });
    expect(decide(sureGreeting(), 'thanks a lot', after('how much is berserk deluxe vol 1?', 'price_availability', 'thanks a lot')).pred).toMatchObject({ intent: 'greeting_chitchat', confident: true });
    // "like" a title asks for something like it, not for the title
    expect(decide(sureGreeting(), 'have you got anything like frieren').pred.intent).not.toBe('price_availability');
  });
});

describe('phrasing of a fifth held-out set (eval/dialogues-holdout5.jsonl)', () => {
  const sure = (intent: string): IntentPrediction => ({ intent, topLabel: intent, confidence: 0.95, confident: true });

  it('reads "is there a <edition or format>" of a title as asking for that copy, decisively', () => {
    expect(decide(sure('product_question'), 'is there a deluxe vinland saga').pred.intent).toBe('price_availability');
    expect(decide(sure('product_question'), 'is there a hardcover of fullmetal alchemist vol 1').pred.intent).toBe('price_availability');
    // what the copy is, or who made it, stays the classifier's
    expect(decide(sure('product_question'), 'is the sandman omnibus hardcover').pred.intent).toBe('product_question');
    expect(decide(sure('product_question'), 'who did the art for the deluxe vinland saga').pred.intent).toBe('product_question');
  });
});
