/**
 * Scoring of the dialogue evaluation, pure (no I/O): one turn's reply against its expectation
 * (intent, path class, facts, resolution), the ledger that tells which turns a cached answer came
 * from (so a hit that answered another question counts as a wrong cache hit), and the summary figures.
 * Refuses nothing; an unexpected reply simply fails its checks.
 */
import type { ChatReply, RoutePath } from '../../shared/api/chat.ts';
import { percentile } from '../../shared/eval/metrics.ts';
import type { DialogueTurn, ExpectedEntity, PathClass } from './dialogue-set.ts';

/** Lower case, dashes and quotes unified, spaces collapsed (also around dashes). */
export function normText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\s*-\s*/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A fact ("a|b": either) stated in the text. */
export function statesFact(text: string, fact: string): boolean {
  const t = normText(text);
  return fact.split('|').some((alt) => alt.trim() && t.includes(normText(alt)));
}

const normValue = (v: string) => v.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** Every kind the expectation names has exactly the expected values among the actual entities (other kinds are ignored). */
export function entitiesMatch(expected: readonly ExpectedEntity[], actual: readonly { kind: string; value: string }[]): boolean {
  const kinds = new Set(expected.map((e) => e.kind));
  for (const kind of kinds) {
    const want = new Set(expected.filter((e) => e.kind === kind).map((e) => normValue(e.value)));
    const got = new Set(actual.filter((e) => e.kind === kind).map((e) => normValue(e.value)));
    if (want.size !== got.size || [...want].some((v) => !got.has(v))) return false;
  }
  return true;
}

/** The same entities of every kind on both sides. */
export const sameEntities = (a: readonly ExpectedEntity[], b: readonly ExpectedEntity[]) => entitiesMatch(a, b) && entitiesMatch(b, a);

export function pathFits(expected: PathClass, actual: RoutePath): boolean {
  if (expected === 'template') return actual === 'template';
  if (expected === 'cacheable') return actual === 'cache' || actual === 'llm';
  if (expected === 'catalog') return actual === 'template' || actual === 'cache' || actual === 'llm';
  // Never the cache: an order's answer is one shopper's.
  if (expected === 'order') return actual === 'template' || actual === 'llm';
  return actual === 'llm';
}

export interface AnswerOrigin {
  answerKey: string;
  dialogueId: string;
  entities: readonly ExpectedEntity[];
}

/** Which turns each answer the edge may have cached came from, by its text (one text may answer several questions). */
export class CacheLedger {
  private readonly byText = new Map<string, AnswerOrigin[]>();
  record(text: string, origin: AnswerOrigin): void {
    if (!text.trim()) return;
    const list = this.byText.get(normText(text)) ?? [];
    if (!list.some((o) => o.answerKey === origin.answerKey)) list.push(origin);
    this.byText.set(normText(text), list);
  }
  /** The turns a cached answer may have come from (a stale answer's note is ignored); none when it is not one of this run's. */
  origins(text: string): AnswerOrigin[] {
    return this.byText.get(normText(text.replace(/^\([^)]*earlier answer[^)]*\)\s*/i, ''))) ?? [];
  }
}

export interface TurnScore {
  dialogueId: string;
  turn: number;
  message: string;
  followUp: boolean;
  expected: DialogueTurn['expect'];
  reply: { intent: string; path: RoutePath; text: string; resolved?: ChatReply['route']['resolved']; cacheEntry?: string; fallbacks: string[] };
  checks: { intent: boolean; path: boolean; facts: boolean; resolution: boolean; wrongCacheHit: boolean };
  cacheOrigin?: string | null;
  pass: boolean;
  failures: string[];
  latencyMs: { client: number; server: number };
}

export function scoreTurn(
  dialogueId: string,
  index: number,
  t: DialogueTurn,
  reply: ChatReply,
  ledger: CacheLedger,
  latencyMs: { client: number; server: number },
): TurnScore {
  const e = t.expect;
  const failures: string[] = [];
  const intent = reply.route.intent === e.intent;
  if (!intent) failures.push(`intent ${reply.route.intent} (expected ${e.intent})`);
  const path = pathFits(e.path, reply.route.path);
  if (!path) failures.push(`path ${reply.route.path} (expected ${e.path})`);
  const missing = e.mustContain.filter((f) => !statesFact(reply.text, f));
  const wrong = e.mustNotContain.filter((f) => statesFact(reply.text, f));
  for (const f of missing) failures.push(`missing "${f}"`);
  for (const f of wrong) failures.push(`states "${f}"`);
  const r = reply.route.resolved;
  const resolution = t.followUp ? !!r && entitiesMatch(e.entities, r.entities ?? []) : !r || (r.carried.length === 0 && entitiesMatch(e.entities, r.entities ?? []));
  if (!resolution) {
    const got = (r?.entities ?? []).map((x) => `${x.kind}:${x.value}`).join(', ') || 'none';
    failures.push(t.followUp ? (r ? `resolved as "${r.text}" (${got})` : 'not resolved') : r?.carried.length ? `context carried into a fresh message: ${r.carried.join(', ')}` : `entities read as ${got}`);
  }
  let wrongCacheHit = false;
  let cacheOrigin: string | null | undefined;
  if (reply.route.path === 'cache') {
    // Right when the text was produced for a question with this turn's answer key (the set's word
    // for "may share a cached answer": "what's it rated?" and "what age is it for?" about the
    // same series, one naming its volume), or for another question about the same entities and it
    // states this one's facts ("how much is it?" served the "do you ship to Alaska?" answer that
    // gives the price); wrong otherwise ("who wrote it?" served the age rating).
    const os = ledger.origins(reply.text);
    const same = os.find((o) => o.answerKey === e.answerKey || (sameEntities(o.entities, e.entities) && missing.length === 0));
    cacheOrigin = os.length ? `${(same ?? os[0]).dialogueId}:${(same ?? os[0]).answerKey}` : null;
    wrongCacheHit = os.length > 0 && !same;
    if (wrongCacheHit) failures.push(`wrong cache hit: the answer to ${os.map((o) => `${o.answerKey} (from ${o.dialogueId})`).join(', ')}`);
  } else if (reply.route.path === 'llm') {
    ledger.record(reply.text, { answerKey: e.answerKey, dialogueId, entities: e.entities });
  }
  return {
    dialogueId,
    turn: index + 1,
    message: t.message,
    followUp: t.followUp,
    expected: e,
    reply: { intent: reply.route.intent, path: reply.route.path, text: reply.text, ...(r ? { resolved: r } : {}), ...(reply.route.cache ? { cacheEntry: reply.route.cache.entryId } : {}), fallbacks: reply.done.fallbacks ?? reply.route.fallbacks ?? [] },
    checks: { intent, path, facts: !missing.length && !wrong.length, resolution, wrongCacheHit },
    ...(cacheOrigin !== undefined ? { cacheOrigin } : {}),
    // Resolution is reported on its own; a turn passes on what the shopper sees and where it was answered.
    pass: intent && path && !missing.length && !wrong.length && !wrongCacheHit,
    failures,
    latencyMs,
  };
}

export interface DialogueSummary {
  dialogues: number;
  turns: number;
  turnPassRate: number;
  dialoguePassRate: number;
  resolutionAccuracy: number;
  followUpResolutionAccuracy: number;
  intentAccuracy: number;
  pathAccuracy: number;
  factAccuracy: number;
  wrongCacheHits: number;
  cacheHits: number;
  pathShares: Record<RoutePath, number>;
  latencyMs: { client: { p50: number; p99: number }; server: { p50: number; p99: number } };
  byKind: Record<string, { turns: number; passRate: number }>;
}

export function summarize(scores: readonly TurnScore[], kindsOf: (dialogueId: string) => readonly string[]): DialogueSummary {
  const n = scores.length || 1;
  const share = (f: (s: TurnScore) => boolean) => round(scores.filter(f).length / n);
  const follow = scores.filter((s) => s.followUp);
  const byDialogue = new Map<string, boolean>();
  for (const s of scores) byDialogue.set(s.dialogueId, (byDialogue.get(s.dialogueId) ?? true) && s.pass);
  const byKind: DialogueSummary['byKind'] = {};
  for (const s of scores) {
    for (const k of kindsOf(s.dialogueId)) {
      const b = (byKind[k] ??= { turns: 0, passRate: 0 });
      b.passRate = (b.passRate * b.turns + (s.pass ? 1 : 0)) / (b.turns + 1);
      b.turns++;
    }
  }
  for (const b of Object.values(byKind)) b.passRate = round(b.passRate);
  const lat = (k: 'client' | 'server') => {
    const xs = scores.map((s) => s.latencyMs[k]);
    return { p50: round(percentile(xs, 50), 2), p99: round(percentile(xs, 99), 2) };
  };
  return {
    dialogues: byDialogue.size,
    turns: scores.length,
    turnPassRate: share((s) => s.pass),
    dialoguePassRate: round([...byDialogue.values()].filter(Boolean).length / (byDialogue.size || 1)),
    resolutionAccuracy: share((s) => s.checks.resolution),
    followUpResolutionAccuracy: round(follow.filter((s) => s.checks.resolution).length / (follow.length || 1)),
    intentAccuracy: share((s) => s.checks.intent),
    pathAccuracy: share((s) => s.checks.path),
    factAccuracy: share((s) => s.checks.facts),
    wrongCacheHits: scores.filter((s) => s.checks.wrongCacheHit).length,
    cacheHits: scores.filter((s) => s.reply.path === 'cache').length,
    pathShares: { template: share((s) => s.reply.path === 'template'), cache: share((s) => s.reply.path === 'cache'), llm: share((s) => s.reply.path === 'llm'), fallback: share((s) => s.reply.path === 'fallback') },
    latencyMs: { client: lat('client'), server: lat('server') },
    byKind,
  };
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
