/**
 * What used to be the store's knowledge in code is each pack's data, and each pack behaves by its
 * own: the region's handoff (domain.json assistant.handoff, else templates.json handoff), the ids
 * a conversation carries and the guardrails check (entities.json patterns), and the LLM priority
 * of an intent (domain.json llmPriority), the widget's words (domain.json widget). kitsune-books keeps its old behaviour; bank-support gets
 * its own. `domain check` names the file and line of a bad value.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialogueEntitiesFor } from '../shared/conversation/conversation-data.ts';
import { checkPack, formatIssue } from '../shared/domain/pack-check.ts';
import { catalogTextOf } from '../shared/domain/store-kb.ts';
import { EntityExtractor } from '../shared/cache/entities.ts';
import { storeGazetteer } from '../shared/cache/store-gazetteer.ts';
import { leansOnContext, resolveFollowUp } from '../shared/conversation/follow-up.ts';
import { DialogueEntities } from '../shared/conversation/dialogue-entities.ts';
import { llmPriorityFor } from '../shared/routing/llm-priority.ts';
import { checkPackDir, readPackFiles } from '../models/pipeline/domain-pack.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { domainPack } from '../regional/src/domain/pack-files.ts';
import { checkGrounding } from '../regional/src/generate/guardrails.ts';
import { loadStoreAnswerData } from '../regional/src/generate/structured/answer-data.ts';
import { catalogAnswer } from '../regional/src/generate/structured/catalog-answer.ts';
import { catalogDocument } from '../regional/src/retrieval/store-kb.ts';
import { stringsFor } from '../browser/src/ui/strings.ts';

const ROOT = repoRoot();
const STORE = domainPack(join(ROOT, 'domains/kitsune-books'));
const BANK = domainPack(join(ROOT, 'domains/bank-support'));
const dialogueOf = (p: typeof STORE) => dialogueEntitiesFor(p.gazetteer, p.catalog, p.conversation, p.entityPatterns);
const handoffOf = (p: typeof STORE) => p.domain.assistant?.handoff ?? p.templates.handoff;

describe("each pack's knowledge is its own data", () => {
  it("the region's handoff: the store's text as before, the bank's own with no store contact", () => {
    expect(handoffOf(STORE)).toBe(
      "Sorry, I can't answer that right now. A person from our team can help: support@kitsunebooks.example (Monday–Friday 8:00 AM–6:00 PM PT, Saturday 10:00 AM–4:00 PM PT).",
    );
    expect(handoffOf(BANK)).toBe(BANK.templates.handoff);
    expect(handoffOf(BANK)).not.toMatch(/kitsune|bookstore|PT\)/i);
  });

  it("a conversation carries the store's order and product ids as before, and the bank's card endings", () => {
    const store = dialogueOf(STORE);
    const a = store.analyze('Where is order # 12345? And is KB-SKU-12 back?');
    expect(a.entities).toEqual(expect.arrayContaining([{ kind: 'order', value: 'kb-12345' }, { kind: 'product', value: 'kb-sku-0012' }]));
    // The cue word stays a word of the message; the id is one word.
    expect(a.words.slice(0, 4)).toEqual(['where', 'is', 'order', 'kb12345']);
    expect(store.analyze('status of KB-54321 please').entities).toEqual([{ kind: 'order', value: 'kb-54321' }]);
    // The bank knows no store ids: an order-shaped number is a number, a card ending is its id.
    const bank = dialogueOf(BANK);
    expect(bank.analyze('my card ending in 4321 was declined').entities).toEqual([{ kind: 'number', value: 'ending-4321' }]);
    expect(bank.analyze('what about KB-12345').entities).not.toContainEqual(expect.objectContaining({ kind: 'order' }));
  });

  it("the guardrails check the pack's ids: an id the context does not hold is removed", () => {
    const store = checkGrounding('Your order KB-12345 has shipped. It left on Monday.', 'Order KB-99999 shipped Monday.', [], STORE.entityPatterns);
    expect(store.removed.map((r) => r.reason)).toEqual(['order id KB-12345 is not in the context']);
    expect(checkGrounding('Your order KB-12345 has shipped.', 'order kb-12345: shipped', [], STORE.entityPatterns).removed).toEqual([]);
    const bank = checkGrounding('The card ending in 9999 is frozen. Top-ups are free.', 'Your card ending in 1234 is frozen. Top-ups are free.', [], BANK.entityPatterns);
    expect(bank.removed.map((r) => r.reason)).toEqual(['number id card ending in 9999 is not in the context']);
    // Prices in any currency are checked, not only dollars: the bank's pounds and euros too.
    expect(checkGrounding('An ATM withdrawal costs £2.00. Card delivery is free.', 'ATM withdrawals over £200 a month cost £1.50. Card delivery is free.', [], BANK.entityPatterns).removed.map((r) => r.reason)).toEqual(['price £2.00 is not in the context']);
    expect(checkGrounding('A top-up costs €1.50.', 'Top-ups cost €1.50.', [], BANK.entityPatterns).removed).toEqual([]);
    // A store order id means nothing to the bank's guard.
    expect(checkGrounding('Order KB-12345 is on its way to you.', 'on its way', [], BANK.entityPatterns).removed).toEqual([]);
  });

  it("an intent's LLM priority is the pack's mark", () => {
    expect(['purchase_help', 'order_status', 'price_availability', 'greeting_chitchat', 'oos', 'shipping_info'].map((i) => llmPriorityFor(i, STORE.domain.intents))).toEqual(['high', 'high', 'high', 'low', 'low', 'normal']);
    expect(llmPriorityFor('card_payment_problem', BANK.domain.intents)).toBe('high');
    expect(llmPriorityFor('order_status', BANK.domain.intents)).toBe('normal');
    expect(llmPriorityFor(undefined, BANK.domain.intents)).toBe('normal');
  });

  it("the widget's words that name the business are the pack's, in the visitor's language", () => {
    const store = STORE.domain.widget?.strings ?? {};
    expect(stringsFor('ja-JP', store).placeholder).toBe('注文・配送・マンガについて質問…');
    expect(stringsFor('en-US', store).welcome).toBe('Hi! Ask me about orders, shipping, returns or our manga and books.');
    const bank = BANK.domain.widget?.strings ?? {};
    for (const locale of ['en-GB', 'ja', 'fr']) {
      const s = stringsFor(locale, bank);
      expect(`${s.heading} ${s.placeholder} ${s.welcome}`).not.toMatch(/manga|マンガ|store|ストア|book/i);
    }
    expect(stringsFor('en-GB', bank).heading).toBe('Lark Bank help');
    // Without pack words, the generic ones: no business named.
    expect(stringsFor('en').welcome).toBe('Hi! How can I help?');
  });

  it('domain check names the file and line of a bad priority or handoff', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-pack-knowledge-'));
    try {
      cpSync(join(ROOT, 'domains/bank-support'), dir, { recursive: true });
      const path = join(dir, 'domain.json');
      const text = readFileSync(path, 'utf8')
        .replace('"llmPriority": "high"', '"llmPriority": "urgent"')
        .replace('"defaultMaxTokens": 300,', '"defaultMaxTokens": 300,\n    "handoff": "",');
      writeFileSync(path, text);
      const r = checkPackDir(dir, { dataRules: false });
      expect(r.ok).toBe(false);
      const lines = text.split('\n');
      const issues = r.ok ? [] : r.issues.map(formatIssue);
      const priorityLine = lines.findIndex((l) => l.includes('"urgent"')) + 1;
      const handoffLine = lines.findIndex((l) => l.includes('"handoff": ""')) + 1;
      expect(issues.some((i) => i.startsWith(`domain.json:${priorityLine}:`) && /llmPriority/.test(i))).toBe(true);
      expect(issues.some((i) => i.startsWith(`domain.json:${handoffLine}:`) && /handoff/.test(i))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the engine used to know of the store is the pack\'s', () => {
  const cacheEntities = (p: typeof STORE) => new EntityExtractor(storeGazetteer(p.gazetteer, p.catalog, p.conversation), p.entityPatterns);
  const places = (p: typeof STORE, text: string) => cacheEntities(p).extract(text).filter((e) => e.kind === 'place').map((e) => e.value);

  it("the store's own places (its city, military and PO box mail) key its cache and its conversations; the bank has its own", () => {
    expect(places(STORE, 'do you ship to an APO or a PO box in Portland?').sort()).toEqual(['apo', 'po box', 'portland']);
    expect(dialogueOf(STORE).analyze('and to an FPO address?').entities).toContainEqual({ kind: 'place', value: 'fpo' });
    expect(places(BANK, 'do you ship to an APO or a PO box in Portland?')).toEqual([]);
    expect(places(BANK, 'can I use the card in the EEA?')).toEqual(['european economic area']);
    expect(places(STORE, 'can I use the card in the EEA?')).toEqual([]);
    // Countries stay built in for both.
    expect(places(BANK, 'sending money to Japan')).toEqual(['japan']);
  });

  it("the store's item nouns make 'that manga' point back; the bank's messages keep their meaning", () => {
    expect(leansOnContext('that manga sounds fun', dialogueOf(STORE))).toBe(true);
    expect(leansOnContext('that manga sounds fun', dialogueOf(BANK))).toBe(false);
    // "a poster … is it": the pronoun points inside the message for the store only.
    expect(leansOnContext('I got a poster today, can I return it?', dialogueOf(STORE))).toBe(false);
    expect(leansOnContext('I got a poster today, can I return it?', dialogueOf(BANK))).toBe(true);
  });

  it("a follow-up writes an id as the pack's id patterns make it, whatever the pack's shape", () => {
    const follow = (ex: DialogueEntities, first: string, next: string) => resolveFollowUp(next, [{ text: first, entities: ex.analyze(first).entities }], ex).text;
    expect(follow(dialogueOf(STORE), 'is KB-SKU-12 in stock?', 'how much is it?')).toBe('how much is KB-SKU-0012?');
    // Another domain's product ids (no code names them): upper case too, as written.
    const shop = new DialogueEntities({}, { slots: {} }, [{ kind: 'product', match: '\\bACME[- ]?(\\d{2,5})\\b', value: 'acme-{1}' }]);
    expect(follow(shop, 'tell me about ACME 77', 'how much is it?')).toBe('how much is ACME-77?');
  });

  it("catalog item types, their labels, the currency and the answer's sentences are the pack's", () => {
    const data = loadStoreAnswerData(join(ROOT, 'domains/kitsune-books'));
    const item = data.catalog.find((c) => c.type === 'light_novel' && !c.preorder && c.stock > 1 && c.format !== 'ebook')!;
    // The store's as before.
    expect(catalogDocument(item, data.catalogText).text).toContain(`Light novel by ${item.author}.`);
    expect(catalogAnswer(item, 'how much?', ['price'], data.config.catalogSentences, data.catalogText)).toEqual([`${item.title} is $${item.price.toFixed(2)} and in stock (${item.stock} copies).`]);
    // Another pack's words: its own type label, currency and sentences, no code change.
    const words = catalogTextOf({ locale: 'en-GB', catalog: { types: { light_novel: 'Novella' }, currency: 'GBP' } });
    const sentences = { ...data.config.catalogSentences, inStock: '{subject} costs {price}; {stock} {stock|unit|units} left.', again: 'This one' };
    expect(catalogDocument(item, words).text).toContain(`Novella by ${item.author}.`);
    expect(catalogDocument(item, words).text).toContain(`Price: £${item.price.toFixed(2)}.`);
    expect(catalogAnswer(item, 'how much, who wrote it?', ['price', 'author'], sentences, words)).toEqual([
      `${item.title} costs £${item.price.toFixed(2)}; ${item.stock} units left.`,
      `This one is by ${item.author}.`,
    ]);
  });

  it('domain check names the file and line of an item type, format or rating the pack does not declare', () => {
    const files = readPackFiles(join(ROOT, 'domains/kitsune-books'));
    const catalogText = files['kb/catalog.json'].replace('"type": "light_novel"', '"type": "artbook"').replace('"format": "hardcover"', '"format": "scroll"');
    const r = checkPack({ ...files, 'kb/catalog.json': catalogText }, undefined, { dataRules: false });
    const issues = r.ok ? [] : r.issues.map(formatIssue);
    const lines = catalogText.split('\n');
    const typeLine = lines.findIndex((l) => l.includes('"artbook"')) + 1;
    const formatLine = lines.findIndex((l) => l.includes('"scroll"')) + 1;
    expect(issues.some((i) => i.startsWith(`kb/catalog.json:${typeLine}:`) && /catalog\.types/.test(i))).toBe(true);
    expect(issues.some((i) => i.startsWith(`kb/catalog.json:${formatLine}:`) && /catalog\.formats/.test(i))).toBe(true);
    // Declared, the new type is the pack's own.
    const domainText = files['domain.json'].replace('"book": "Book"', '"book": "Book", "artbook": "Art book"').replace('"box set", "ebook"', '"box set", "ebook", "scroll"');
    expect(checkPack({ ...files, 'kb/catalog.json': catalogText, 'domain.json': domainText }, undefined, { dataRules: false }).ok).toBe(true);
    // A catalog the pack does not describe is refused at domain.json.
    const undescribed = JSON.stringify({ ...JSON.parse(files['domain.json']), catalog: undefined }, null, 2);
    const u = checkPack({ ...files, 'domain.json': undescribed }, undefined, { dataRules: false });
    expect(u.ok ? [] : u.issues.map(formatIssue)).toContainEqual(expect.stringMatching(/^domain\.json:\d+: catalog: a pack with a kb\/catalog\.json must describe it/));
  });
});
