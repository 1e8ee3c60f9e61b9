/**
 * The dialogue evaluation's data and scoring (scripts/eval/): the store's dialogue set loads and
 * covers every kind it claims; the scorer passes a reply that states the facts where the route
 * expects it and fails each kind of wrong reply — missing or forbidden facts, wrong intent or
 * path, an unresolved follow-up, context leaking into a fresh message, a cache hit from another
 * answer. (The harness itself runs the real tiers: `npm run -s eval -- dialogue`.)
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatReply } from '../shared/api/chat.ts';
import { STORE_DIR } from '../regional/src/domain/store-files.ts';
import { DialogueKindTag, loadDialogues, type Dialogue, type DialogueTurn } from '../scripts/eval/dialogue-set.ts';
import { CacheLedger, entitiesMatch, pathFits, sameEntities, scoreTurn, statesFact, summarize } from '../scripts/eval/dialogue-score.ts';

const dialogues = loadDialogues(STORE_DIR);
const LAT = { client: 5, server: 2 };

/** A reply as the edge's JSON mode gives it. */
function reply(t: DialogueTurn, over: { text?: string; intent?: string; path?: ChatReply['route']['path']; resolved?: ChatReply['route']['resolved'] | null } = {}): ChatReply {
  const path = over.path ?? (t.expect.path === 'template' ? 'template' : 'llm');
  const resolved = over.resolved === null ? undefined : (over.resolved ?? (t.followUp ? { text: t.expect.resolved, carried: t.expect.entities.map((e) => `${e.kind}:${e.value}`), entities: t.expect.entities } : undefined));
  return {
    route: { intent: over.intent ?? t.expect.intent, confidence: 0.9, path, modelVersion: 'test', traceId: 't', fallbacks: [], ...(resolved ? { resolved } : {}), ...(path === 'cache' ? { cache: { similarity: 0.95, stale: false, entryId: 'e1' } } : {}) },
    text: over.text ?? t.expect.mustContain.map((f) => f.split('|')[0]).join('. '),
    done: { latencyMs: { classify: 0, cache: 0, upstream: 0, total: 2 }, fallbacks: [] },
  };
}

describe('the dialogue set', () => {
  it('has at least 150 dialogues of 2–4 turns covering every kind', () => {
    expect(dialogues.length).toBeGreaterThanOrEqual(150);
    expect(dialogues.every((d) => d.turns.length >= 2 && d.turns.length <= 4)).toBe(true);
    const kinds = new Set(dialogues.flatMap((d) => d.kinds));
    expect([...DialogueKindTag.options].filter((k) => !kinds.has(k))).toEqual([]);
    for (const k of DialogueKindTag.options) expect(dialogues.filter((d) => d.kinds.includes(k)).length, k).toBeGreaterThanOrEqual(5);
    // Cache traps come in groups: the same follow-up words after different context, in several sessions.
    const groups = new Map<string, Dialogue[]>();
    for (const d of dialogues) if (d.trapGroup) groups.set(d.trapGroup, [...(groups.get(d.trapGroup) ?? []), d]);
    for (const [g, ds] of groups) {
      expect(ds.length, g).toBeGreaterThanOrEqual(3);
      expect(new Set(ds.map((d) => d.turns[1].expect.answerKey)).size, g).toBe(ds.length);
    }
  });

  it('refuses a line whose path class is not its intent route, and a malformed line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-dlg-'));
    try {
      cpSync(join(STORE_DIR, 'routes.json'), join(dir, 'routes.json'));
      const good = dialogues[0];
      const wrongPath = { ...good, id: `${good.id}-x`, turns: [good.turns[0], { ...good.turns[1], expect: { ...good.turns[1].expect, path: 'template' } }] };
      cpSync(join(STORE_DIR, 'eval'), join(dir, 'eval'), { recursive: true });
      writeFileSync(join(dir, 'eval', 'dialogues.jsonl'), `${JSON.stringify(good)}\n${JSON.stringify(wrongPath)}\n`);
      expect(() => loadDialogues(dir)).toThrow(/line 2: turn 2 expects path template but price_availability routes to catalog/);
      writeFileSync(join(dir, 'eval', 'dialogues.jsonl'), `${JSON.stringify({ ...good, turns: [good.turns[0]] })}\n`);
      expect(() => loadDialogues(dir)).toThrow(/line 1: turns/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scoring', () => {
  const sample = dialogues.filter((d) => ['ellipsis', 'topic_switch', 'greeting_thanks', 'after_oos'].some((k) => d.kinds.includes(k as Dialogue['kinds'][number]))).slice(0, 6);

  it('passes replies that state the facts on the expected path with the expected resolution', () => {
    const ledger = new CacheLedger();
    const scores = sample.flatMap((d) => d.turns.map((t, i) => scoreTurn(d.id, i, t, reply(t), ledger, LAT)));
    expect(scores.filter((s) => !s.pass).map((s) => `${s.dialogueId}#${s.turn}: ${s.failures.join('; ')}`)).toEqual([]);
    const sum = summarize(scores, (id) => sample.find((d) => d.id === id)!.kinds);
    expect(sum.turnPassRate).toBe(1);
    expect(sum.resolutionAccuracy).toBe(1);
    expect(sum.wrongCacheHits).toBe(0);
    expect(sum.dialogues).toBe(sample.length);
  });

  it("takes a catalog intent's answer from a catalog row (template), the cache or the LLM, never a handoff", () => {
    expect(['template', 'cache', 'llm'].every((p) => pathFits('catalog', p as ChatReply['route']['path']))).toBe(true);
    expect(pathFits('catalog', 'fallback')).toBe(false);
    expect(pathFits('llm', 'template')).toBe(false);
    expect(sample.some((d) => d.turns.some((t) => t.expect.path === 'catalog'))).toBe(true);
  });

  it('fails each kind of wrong reply, and counts an unresolved follow-up against resolution only', () => {
    const d = dialogues.find((x) => x.kinds.includes('volume_switch') && x.turns[1].expect.mustNotContain.length)!;
    const t = d.turns[1];
    const ledger = new CacheLedger();
    const s = (r: ChatReply) => scoreTurn(d.id, 1, t, r, ledger, LAT);
    expect(s(reply(t, { text: 'Sorry, no idea.' })).checks.facts).toBe(false);
    const forbidden = s(reply(t, { text: `${reply(t).text}. ${t.expect.mustNotContain[0]}` }));
    expect(forbidden.pass).toBe(false);
    expect(forbidden.failures).toContain(`states "${t.expect.mustNotContain[0]}"`);
    expect(s(reply(t, { intent: 'order_status' })).failures[0]).toMatch(/^intent order_status/);
    expect(s(reply(t, { path: 'fallback' })).checks.path).toBe(false);
    expect(s(reply(t, { path: 'fallback' })).pass).toBe(false);
    const unresolved = s(reply(t, { resolved: null }));
    expect(unresolved.checks.resolution).toBe(false);
    expect(unresolved.pass).toBe(true);
    const wrongVolume = s(reply(t, { resolved: { text: 'x', carried: ['product'], entities: t.expect.entities.map((e) => (e.kind === 'volume' ? { ...e, value: '99' } : e)) } }));
    expect(wrongVolume.checks.resolution).toBe(false);
    // A fresh message that got the previous turn's context carried into it.
    const fresh = dialogues.find((x) => x.kinds.includes('topic_switch'))!.turns[1];
    expect(scoreTurn('x', 1, fresh, reply(fresh, { resolved: { text: 'x', carried: ['product:berserk'], entities: [] } }), ledger, LAT).checks.resolution).toBe(false);
  });

  it('counts a cache hit from another answer key as a wrong cache hit, and one from the same key as right', () => {
    const [canada, japan] = dialogues.filter((d) => d.trapGroup === 'ship-time');
    const ledger = new CacheLedger();
    const canadaAnswer = reply(canada.turns[1]);
    scoreTurn(canada.id, 1, canada.turns[1], canadaAnswer, ledger, LAT);
    // Japan's follow-up is served Canada's answer from the cache.
    const wrong = scoreTurn(japan.id, 1, japan.turns[1], reply(japan.turns[1], { path: 'cache', text: canadaAnswer.text }), ledger, LAT);
    expect(wrong.checks.wrongCacheHit).toBe(true);
    expect(wrong.pass).toBe(false);
    expect(wrong.cacheOrigin).toBe(`${canada.id}:${canada.turns[1].expect.answerKey}`);
    // The same question asked again in another session may be served the same answer (a stale one too).
    const again = scoreTurn('again', 1, canada.turns[1], reply(canada.turns[1], { path: 'cache', text: `(The assistant is busy, so here is an earlier answer to a similar question.) ${canadaAnswer.text}` }), ledger, LAT);
    expect(again.checks.wrongCacheHit).toBe(false);
    expect(summarize([wrong, again], () => ['cache_trap']).wrongCacheHits).toBe(1);
    // One text that answered several questions in the run (a shared rate row): a hit for one of them is right.
    const other = dialogues.filter((d) => d.trapGroup === 'ship-time')[2];
    scoreTurn(other.id, 1, other.turns[1], reply(other.turns[1], { text: canadaAnswer.text }), ledger, LAT);
    expect(scoreTurn('late', 1, other.turns[1], reply(other.turns[1], { path: 'cache', text: canadaAnswer.text }), ledger, LAT).checks.wrongCacheHit).toBe(false);
    expect(scoreTurn('late', 1, japan.turns[1], reply(japan.turns[1], { path: 'cache', text: canadaAnswer.text }), ledger, LAT).failures.at(-1)).toMatch(/the answer to ship:canada:time .*, ship:/);
  });

  it('judges a hit cached for another question about the same entities by whether it answers this one', () => {
    const d = dialogues.find((x) => x.id.startsWith('trap-author-') && x.turns.length === 3)!;
    const [, author, age] = d.turns;
    const ledger = new CacheLedger();
    const ageAnswer = reply(age);
    scoreTurn(d.id, 2, age, ageAnswer, ledger, LAT);
    // "who wrote it?" served the age-rating answer: same title, another question, no author.
    const wrong = scoreTurn('s2', 1, author, reply(author, { path: 'cache', text: ageAnswer.text }), ledger, LAT);
    expect(wrong.checks.wrongCacheHit).toBe(true);
    // An answer cached for "what's it rated?" that also names the author answers "who wrote it?".
    const both = reply(age, { text: `${ageAnswer.text}. ${author.expect.mustContain.map((f) => f.split('|')[0]).join('. ')}` });
    scoreTurn(d.id, 2, age, both, ledger, LAT);
    expect(scoreTurn('s3', 1, author, reply(author, { path: 'cache', text: both.text }), ledger, LAT).checks.wrongCacheHit).toBe(false);
  });

  it('takes a hit from a turn with the same answer key as right, though one names the volume and the other not', () => {
    const turns = dialogues.flatMap((d) => d.turns.map((t, i) => ({ id: d.id, i, t })));
    const pair = turns.flatMap((a) => turns.filter((b) => b.t.expect.answerKey === a.t.expect.answerKey && !sameEntities(a.t.expect.entities, b.t.expect.entities)).map((b) => [a, b] as const))[0];
    expect(pair).toBeDefined();
    const [a, b] = pair;
    const ledger = new CacheLedger();
    const first = reply(a.t);
    scoreTurn(a.id, a.i, a.t, first, ledger, LAT);
    const hit = scoreTurn(b.id, b.i, b.t, reply(b.t, { path: 'cache', text: first.text }), ledger, LAT);
    expect(hit.checks.wrongCacheHit).toBe(false);
    expect(hit.cacheOrigin).toBe(`${a.id}:${a.t.expect.answerKey}`);
  });

  it('matches facts and entities the way answers word them', () => {
    expect(statesFact('Standard takes 7–12 business days.', '7-12 business days')).toBe(true);
    expect(statesFact('Costs $14.99', '$19.99|$14.99')).toBe(true);
    expect(statesFact('Costs $14.99', '$19.99')).toBe(false);
    expect(entitiesMatch([{ kind: 'place', value: 'united kingdom' }], [{ kind: 'place', value: 'United Kingdom' }, { kind: 'term', value: 'express' }])).toBe(true);
    expect(entitiesMatch([{ kind: 'place', value: 'japan' }], [{ kind: 'place', value: 'canada' }])).toBe(false);
    expect(entitiesMatch([{ kind: 'volume', value: '2' }], [{ kind: 'volume', value: '2' }, { kind: 'volume', value: '1' }])).toBe(false);
  });
});
