/**
 * "the second one", "the last one", "the former": a pick from titles the shopper named together
 * earlier ("the shining, mexican gothic or the blade itself — is the last one in stock?"). Only
 * when a recent turn named two or more series, in the order they were written, and the talk has
 * stayed on those series since (a later turn about one of them keeps the list; a turn about
 * another series ends it). Otherwise an ordinal stays what dialogue-entities reads it as: a
 * volume of the series in talk ("and the second one?" after Frieren vol. 1 is vol. 2).
 * English rules only; refuses a message that names its own series.
 */
import type { DialogueEntities, DialogueEntity, MessageAnalysis } from './dialogue-entities.ts';
import { LIST_POSITIONS, ordinal } from './english-cues.ts';

export interface ListPick {
  /** The series picked. */
  product: DialogueEntity;
  /** The words of the message that pointed at it ("the last one"), [start, end). */
  start: number;
  end: number;
  /** Index of the turn that named the list. */
  turn: number;
}

/** Whether a message says a list position ("the last one", "the second one") and names no series: it may lean on an earlier list. */
export function saysListPosition(a: MessageAnalysis): boolean {
  return !a.entities.some((e) => e.kind === 'product') && positionAt(a) !== null;
}

/** Where in `a` a list position is said, and which one (1-based; -1 the last). */
function positionAt(a: MessageAnalysis): { at: number; n: number; start: number; end: number } | null {
  const w = a.words;
  for (let i = 0; i < w.length; i++) {
    const n = LIST_POSITIONS[w[i]] ?? ordinal(w[i]);
    if (n === null || n === undefined) continue;
    // "the last one", "the 2nd", "the former": a determiner before it; "one", "book" or "title" may follow.
    if (w[i - 1] !== 'the') continue;
    const end = LIST_HEADS.has(w[i + 1] ?? '') ? i + 2 : i + 1;
    return { at: i, n, start: i - 1, end };
  }
  return null;
}

const LIST_HEADS = new Set(['one', 'book', 'title', 'series']);

/**
 * The series a list position in `a` points at, among the series a recent turn (within `lookback`)
 * named in order, or null. `turns` oldest first, each with its (resolved) text and entities.
 */
export function pickFromList(a: MessageAnalysis, turns: readonly { text: string; entities: readonly DialogueEntity[] }[], ex: DialogueEntities, lookback: number): ListPick | null {
  if (a.entities.some((e) => e.kind === 'product')) return null;
  const pos = positionAt(a);
  if (!pos) return null;
  const products = (es: readonly DialogueEntity[]) => new Set(es.filter((e) => e.kind === 'product').map((e) => e.value));
  for (let i = turns.length - 1; i >= Math.max(0, turns.length - lookback); i--) {
    const named = products(turns[i].entities);
    if (named.size < 2) {
      // a later turn about one series of the list keeps it; a turn about another series ends it
      if (named.size === 1 && !turns.slice(0, i).some((t) => products(t.entities).size >= 2 && [...named].every((v) => products(t.entities).has(v)))) return null;
      continue;
    }
    const inOrder: string[] = [];
    for (const s of ex.analyze(turns[i].text).spans) if (s.kind === 'product' && !inOrder.includes(s.value)) inOrder.push(s.value);
    const k = pos.n === -1 ? inOrder.length - 1 : pos.n - 1;
    if (k < 0 || k >= inOrder.length) return null;
    return { product: { kind: 'product', value: inOrder[k] }, start: pos.start, end: pos.end, turn: i };
  }
  return null;
}
