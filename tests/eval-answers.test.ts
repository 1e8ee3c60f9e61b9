/**
 * The golden answer set and its scorer: the set validates (zod), holds the kinds of question the
 * issue asks for and none of the training sentences; fact matching normalises prices, ranges and
 * dates without matching partial tokens; scoring counts recall, wrong facts, declines, handoffs
 * and grounding — with failing cases for each rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STORE_DIR } from '../regional/src/domain/store-files.ts';
import { answerSentencesGrounding, scoreQuestion, summarize, type AnsweredQuestion } from '../scripts/eval/answer-score.ts';
import { containsFact, findFact, normalizeFacts, pricesIn } from '../scripts/eval/fact-match.ts';
import { loadGoldenSet, loadMarkers, parseGoldenSet, type GoldenQuestion } from '../scripts/eval/golden-answers.ts';

const golden = loadGoldenSet(join(STORE_DIR, 'eval', 'golden-answers.jsonl'));
const markers = loadMarkers(join(STORE_DIR, 'eval', 'answer-markers.json'));

describe('golden answer set', () => {
  it('has 200+ questions of every kind the issue names', () => {
    expect(golden.length).toBeGreaterThanOrEqual(200);
    const tags = new Set(golden.flatMap((q) => q.tags));
    for (const t of ['price', 'stock', 'preorder', 'author', 'age', 'format', 'boxset', 'intl', 'express', 'surcharge', 'free', 'payment', 'promo', 'order', 'returns', 'oos', 'handoff', 'multiturn']) expect(tags, t).toContain(t);
    expect(golden.filter((q) => q.expect === 'decline').length).toBeGreaterThanOrEqual(20);
    expect(golden.filter((q) => q.turns?.length).length).toBeGreaterThanOrEqual(10);
  });

  it('was written apart from the training data: no question is a training sentence', () => {
    const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
    const train = new Set(
      ['train.jsonl', 'val.jsonl', 'test.jsonl'].flatMap((f) =>
        readFileSync(join(STORE_DIR, 'intents', f), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => norm(JSON.parse(l).text)),
      ),
    );
    const copied = golden.filter((q) => train.has(norm(q.question)));
    expect(copied.map((q) => q.question)).toEqual([]);
  });

  it('refuses malformed lines with their line number', () => {
    const ok = '{"id":"a-1","question":"q?","expect":"answer","must":["$1"]}';
    expect(parseGoldenSet(ok, 'x')).toHaveLength(1);
    expect(() => parseGoldenSet(`${ok}\n${ok}`, 'x')).toThrow(/x:2: duplicate id a-1/);
    expect(() => parseGoldenSet('{"id":"a-2","question":"q?","expect":"answer"}', 'x')).toThrow(/x:1: .*at least one fact/);
    expect(() => parseGoldenSet('{"id":"a-3","question":"q?","expect":"maybe"}', 'x')).toThrow(/x:1: expect/);
    expect(() => parseGoldenSet('not json', 'x')).toThrow(/x:1: not JSON/);
  });
});

describe('fact matching', () => {
  const has = (answer: string, fact: string | string[]) => findFact(normalizeFacts(answer), fact) !== null;

  it('normalises prices, ranges, dates and thousands', () => {
    expect(has('It costs $50.', '$50.00')).toBe(true);
    expect(has('It is 24.99 USD.', '$24.99')).toBe(true);
    expect(has('Takes 10 to 20 business days', '10–20 business days')).toBe(true);
    expect(has('takes 10-20 business days', '10–20 business days')).toBe(true);
    expect(has('It releases on July 7, 2026.', '2026-07-07')).toBe(true);
    expect(has('out 7 Jul 2026', '2026-07-07')).toBe(true);
    expect(has('A $1,000 order', '$1000')).toBe(true);
    expect(has('Gift cards from $10 to $500', '$500')).toBe(true);
  });

  it('refuses partial tokens and near misses', () => {
    expect(has('Express is $14.99.', '$4.99')).toBe(false);
    expect(has('rated Teenage', 'Teen')).toBe(false);
    expect(has('7–12 business days', '7–14 business days')).toBe(false);
    expect(has('released 2026-07-17', '2026-07-07')).toBe(false);
    expect(has('costs $24.99', '$24.9')).toBe(false);
    expect(has('in stock (121 copies)', '21 copies')).toBe(false);
  });

  it('takes any of a fact’s wordings', () => {
    expect(has('It is sold out.', ['out of stock', 'sold out'])).toBe(true);
    expect(containsFact(normalizeFacts('nothing here'), 'sold out')).toBe(false);
  });

  it('lists the prices a text states', () => {
    expect(pricesIn('From $10 to $500; express $54.99.')).toEqual(['10.00', '500.00', '54.99']);
  });
});

describe('answer scoring', () => {
  const q = (over: Partial<GoldenQuestion>): GoldenQuestion => ({ id: 'x', question: 'How much is shipping to Australia?', expect: 'answer', must: ['$24.99'], mustNot: ['$4.99'], tags: [], ...over });
  const known = new Set(['24.99', '4.99', '54.99']);
  const answered = (question: GoldenQuestion, answer: string, passages = ['Australia and New Zealand | $24.99 | 10–20 business days | $54.99 | 4–7 business days']): AnsweredQuestion => ({ question, answer, passages, latencyMs: 10, generatorMs: 1 });

  it('passes a correct, grounded answer', () => {
    const s = scoreQuestion(answered(q({}), 'Shipping to Australia and New Zealand is $24.99 (10–20 business days).'), markers, known);
    expect(s).toMatchObject({ pass: true, found: ['$24.99'], missed: [], wrong: [], sentences: 1, groundedSentences: 1 });
  });

  it('fails a missed fact, a forbidden fact and a made-up price', () => {
    expect(scoreQuestion(answered(q({}), 'Shipping to Australia takes a while.'), markers, known)).toMatchObject({ pass: false, missed: ['$24.99'] });
    expect(scoreQuestion(answered(q({}), 'It is $24.99, or $4.99 in the US.'), markers, known)).toMatchObject({ pass: false, wrong: ['$4.99'] });
    const madeUp = scoreQuestion(answered(q({}), 'It is $24.99, and $19.50 for express.'), markers, known);
    expect(madeUp.pass).toBe(false);
    expect(madeUp.wrong[0]).toMatch(/\$19\.50 \(not a price in the knowledge base\)/);
  });

  it('counts an ungrounded sentence against grounding', () => {
    const s = scoreQuestion(answered(q({}), 'It is $24.99. Delivery is by carrier pigeon on Sundays.'), markers, known);
    expect(s.sentences).toBe(2);
    expect(s.groundedSentences).toBe(1);
    expect(answerSentencesGrounding('It is $30.00.', ['It is $24.99.'])).toBe(0);
  });

  it('scores declines and handoffs by the markers, and an answer that declined as a false decline', () => {
    const oos = q({ expect: 'decline', must: [], mustNot: ['$'] });
    expect(scoreQuestion(answered(oos, "Sorry, that's outside what I can help with."), markers, known).pass).toBe(true);
    expect(scoreQuestion(answered(oos, 'Tomorrow, and Tomorrow, and Tomorrow is $18.99.'), markers, new Set(['18.99'])).pass).toBe(false);
    const person = q({ expect: 'handoff', must: [], mustNot: [] });
    expect(scoreQuestion(answered(person, 'A person from our team can help at support@kitsunebooks.example.'), markers, known).pass).toBe(true);
    expect(scoreQuestion(answered(person, 'Our return window is 30 days.'), markers, known).pass).toBe(false);
    const wrongDecline = scoreQuestion(answered(q({}), "Sorry, that's outside what I can help with."), markers, known);
    const sum = summarize([wrongDecline, scoreQuestion(answered(oos, 'outside what I can help with'), markers, known)]);
    expect(sum).toMatchObject({ falseDeclines: 1, declineRate: 1, factRecall: 0, passRate: 0.5 });
  });

  it('summarises recall over facts, wrong facts over questions, and latency percentiles', () => {
    const two = q({ must: ['$24.99', '10–20 business days'] });
    const scores = [
      scoreQuestion(answered(two, 'It is $24.99 and takes 10–20 business days.'), markers, known),
      scoreQuestion(answered(two, 'It is $24.99.'), markers, known),
      scoreQuestion(answered(q({}), 'It is $24.99 or $4.99.'), markers, known),
    ];
    const s = summarize(scores);
    expect(s.factRecall).toBeCloseTo(4 / 5);
    expect(s.wrongFactRate).toBeCloseTo(1 / 3);
    expect(s.generatorP99Ms).toBe(1);
    expect(s.byTag).toEqual({});
  });
});
