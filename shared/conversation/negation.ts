/**
 * A follow-up that takes a slot back by negating it: "not the deluxe one, the regular", "not the
 * ebook, a physical copy", "no not express, the standard one", "not japanese … english", "nah not
 * that one, just the normal paperback". The earlier question that named the negated thing is
 * re-asked without it: its span is cleared, a slot the message names instead takes its place (as
 * an ellipsis's would), and a word for the plain copy ("regular", "normal", "physical") clears the
 * edition too (a store term it negates is replaced by that word: "standard" for "express").
 * Only a message that starts with the negation (after "no", "nah", "ok"…) and negates a thing the
 * talk named; "is it not in stock?" or "not sure" are no such reply. Refuses nothing: no match, no result.
 */
import { type DialogueEntities, type DialogueEntity, type MessageAnalysis, type Span } from './dialogue-entities.ts';
import { INTERJECTIONS } from './english-cues.ts';
import { readCues } from './follow-up-cues.ts';
import { reframe } from './follow-up-rewrite.ts';

interface Turn {
  text: string;
  entities: DialogueEntity[];
  intent?: string;
}

export interface NegatedReply {
  text: string;
  entities: DialogueEntity[];
  /** Index of the turn re-asked. */
  turn: number;
  removed: DialogueEntity[];
}

const LEADS = new Set(['no', 'nah', 'nope', 'na', 'noo']);
const DETERMINERS = new Set(['the', 'a', 'an', 'that', 'this']);
/** Words after a negated thing that are part of its phrase ("not the deluxe one", "not the ebook version"). */
const HEADS = new Set(['one', 'ones', 'version', 'copy', 'edition', 'kind', 'type']);
/** Words for the plain copy of a title, instead of the negated edition ("the regular", "a physical copy"). */
const PLAIN = new Set(['regular', 'normal', 'standard', 'plain', 'ordinary', 'usual', 'basic', 'physical', 'print', 'printed', 'paper']);

/** Whether a message starts with a negation ("not the deluxe one", "nah not that one"): then the session is worth reading. */
export function mayNegate(a: MessageAnalysis): boolean {
  return negated(a) !== undefined;
}

/** The negated thing: an entity span right after "not" (and a determiner), or "that one"/"it" (null); undefined when the message negates nothing so. */
function negated(a: MessageAnalysis): { span: Span | null; end: number } | undefined {
  const w = a.words;
  const i = leadLength(w);
  if (w[i] !== 'not') return undefined;
  let j = i + 1;
  while (DETERMINERS.has(w[j] ?? '') && !a.spans.some((s) => s.start === j)) j++;
  const span = a.spans.find((s) => s.start === j && s.kind !== 'number' && s.kind !== 'date');
  // "not that one": the thing in talk, no slot of its own
  const pronoun = !span && (w[j] === 'it' || ((w[j] === 'one' || w[j] === 'ones') && DETERMINERS.has(w[j - 1])));
  if (!span && !pronoun) return undefined;
  let end = span ? span.end : j + 1;
  while (HEADS.has(w[end] ?? '')) end++;
  return { span: span ?? null, end };
}

function leadLength(w: readonly string[]): number {
  let i = 0;
  while (i < 3 && i < w.length && (LEADS.has(w[i]) || INTERJECTIONS.has(w[i]))) i++;
  return i;
}

export function negatedReply(a: MessageAnalysis, turns: readonly Turn[], ex: DialogueEntities, lookback: number): NegatedReply | undefined {
  const w = a.words;
  const n = turns.length ? negated(a) : undefined;
  if (!n) return undefined;
  const { span, end } = n;
  const rest = a.spans.filter((s) => s.start >= end && s.kind !== 'number' && s.kind !== 'date');
  const plain = w.slice(end).find((x) => PLAIN.has(x));
  const same = (e: DialogueEntity, o: DialogueEntity) => e.kind === o.kind && e.value === o.value;
  let at = -1;
  for (let k = turns.length - 1; k >= Math.max(0, turns.length - lookback) && at < 0; k--) {
    if (span ? turns[k].entities.some((e) => same(e, span)) : turns[k].entities.some((e) => e.kind === 'product')) at = k;
  }
  if (at < 0) return undefined;
  const f = ex.analyze(turns[at].text);
  const parts = f.words.map((x) => [x]);
  const clear = (s: Span) => {
    for (let k = s.start; k < s.end; k++) parts[k] = [];
  };
  const removed: DialogueEntity[] = [];
  for (const s of f.spans) {
    const negated = span && same(s, span) && !rest.some((r) => r.kind === s.kind);
    const edition = plain && s.kind === 'edition' && span?.kind !== 'term' && !rest.some((r) => r.kind === 'edition');
    if (!negated && !edition) continue;
    clear(s);
    removed.push({ kind: s.kind, value: s.value });
    // "no not express, the standard one": the plain word takes the negated store term's place
    if (negated && s.kind === 'term' && plain) parts[s.start] = [plain];
  }
  let text = parts.flat().join(' ');
  if (rest.length) {
    const said = ex.analyze(rest.map((s) => w.slice(s.start, s.end).join(' ')).join(' '));
    text = reframe(said, text, said.entities, readCues(said, ex.itemNouns), ex).text;
  }
  const gone = (e: DialogueEntity) => removed.some((r) => same(r, e)) || rest.some((r) => r.kind === e.kind);
  const entities = [...turns[at].entities.filter((e) => e.kind !== 'number' && e.kind !== 'date' && !gone(e)), ...rest.map((s) => ({ kind: s.kind, value: s.value }))];
  const final = ex.analyze(text).entities;
  return { text, entities: [...entities, ...final.filter((e) => e.kind === 'term' && !entities.some((o) => same(o, e)))], turn: at, removed };
}
