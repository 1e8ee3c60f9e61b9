/**
 * "the second one", "the last one", "the former", "the other one": a pick from titles (or destinations) the shopper named together
 * earlier ("the shining, mexican gothic or the blade itself — is the last one in stock?"). Only
 * when a recent turn named two or more series, in the order they were written, and the talk has
 * stayed on those series since (a later turn about one of them keeps the list; a turn about
 * another series ends it). Otherwise an ordinal stays what dialogue-entities reads it as: a
 * volume of the series in talk ("and the second one?" after Frieren vol. 1 is vol. 2). "The other
 * one" is, of a list of two, the one a later turn did not take up ("the martian and ender's game" →
 * "who wrote the first one" → "same for the other one"); right after the list it is no pick.
 * "The cheaper one", "the more expensive one" pick the same way by the catalog's prices
 * (title-prices.ts: the copy the list turn named), and only when every listed title has a price
 * and one is strictly the cheapest (or dearest).
 * English rules only; refuses a message that names its own series.
 */
import type { DialogueEntities, DialogueEntity, MessageAnalysis } from './dialogue-entities.ts';
import { LIST_POSITIONS, ordinal, PRICE_PICKS } from './english-cues.ts';

export interface ListPick {
  /** The series (or destination) picked. */
  product: DialogueEntity;
  /** The words of the message that pointed at it ("the last one"), [start, end). */
  start: number;
  end: number;
  /** Index of the turn that named the list. */
  turn: number;
}

/** Whether a message says a list position ("the last one", "the second one") and names no series: it may lean on an earlier list. */
export function saysListPosition(a: MessageAnalysis): boolean {
  return !a.entities.some((e) => e.kind === 'product' || e.kind === 'place') && listPositionIn(a.words) !== null;
}

/** A list position said in words: 1-based `n` (-1 the last; 0 "the other one" or a pick by `price`) and the words saying it, [start, end). */
export interface ListPosition {
  n: number;
  start: number;
  end: number;
  price?: 'low' | 'high';
}

/**
 * Where in a message's words (lower case, one word each) a list position is said, and which one —
 * the one reader of list positions for every tier (the edge's follow-ups here, the region's picks
 * from its own answers' lists). `headed`: only a position with a head word after it ("the second
 * one", not "the second") and never "the other one" (which needs the talk this module keeps).
 */
export function listPositionIn(w: readonly string[], { headed = false } = {}): ListPosition | null {
  for (let i = 1; i < w.length; i++) {
    // "the last one", "the 2nd", "the former", "the cheaper one": a determiner before it.
    if (w[i - 1] !== 'the') continue;
    // "the cheaper one", "the more expensive book"
    const byPrice = PRICE_PICKS.find((p) => p.words.every((x, j) => w[i + j] === x));
    if (byPrice) {
      const after = i + byPrice.words.length;
      if (LIST_HEADS.has(w[after] ?? '')) return { n: 0, start: i - 1, end: after + 1, price: byPrice.end };
    }
    // "the other one": of a list of two, the one the talk is not on (OTHER, resolved in pickFromList)
    const n = w[i] === 'other' && LIST_HEADS.has(w[i + 1] ?? '') ? OTHER : (LIST_POSITIONS[w[i]] ?? ordinal(w[i]));
    if (n === null || n === undefined) continue;
    // "one", "book", "title", "option" may follow (must, when `headed`, which reads no OTHER).
    const head = LIST_HEADS.has(w[i + 1] ?? '');
    if (headed && (!head || n === OTHER)) continue;
    return { n, start: i - 1, end: head ? i + 2 : i + 1 };
  }
  return null;
}

/** Words a list position may end with ("the second one", "the last book", "the cheaper option"). */
const LIST_HEADS = new Set(['one', 'book', 'title', 'series', 'pick', 'option']);
/** The position "the other one" says: not an index. */
const OTHER = 0;

/**
 * The series a list position in `a` points at, among the series a recent turn (within `lookback`)
 * named in order, or null. `turns` oldest first, each with its (resolved) text and entities.
 */
export function pickFromList(a: MessageAnalysis, turns: readonly { text: string; entities: readonly DialogueEntity[] }[], ex: DialogueEntities, lookback: number): ListPick | null {
  if (a.entities.some((e) => e.kind === 'product' || e.kind === 'place')) return null;
  const pos = listPositionIn(a.words);
  if (!pos) return null;
  // titles first; destinations ("shipping to mexico and canada" — "how long for the second one") by position only
  return pickOf('product', pos, turns, ex, lookback) ?? (pos.price ? null : pickOf('place', pos, turns, ex, lookback));
}

function pickOf(kind: 'product' | 'place', pos: ListPosition, turns: readonly { text: string; entities: readonly DialogueEntity[] }[], ex: DialogueEntities, lookback: number): ListPick | null {
  const named = (es: readonly DialogueEntity[]) => new Set(es.filter((e) => e.kind === kind).map((e) => e.value));
  let talk: string | undefined;
  for (let i = turns.length - 1; i >= Math.max(0, turns.length - lookback); i--) {
    const these = named(turns[i].entities);
    if (these.size < 2) {
      // a later turn about one thing of the list keeps it; a turn about another thing ends it
      if (these.size === 1 && !turns.slice(0, i).some((t) => named(t.entities).size >= 2 && [...these].every((v) => named(t.entities).has(v)))) return null;
      if (these.size === 1) talk ??= [...these][0];
      continue;
    }
    const inOrder: string[] = [];
    for (const s of ex.analyze(turns[i].text).spans) if (s.kind === kind && !inOrder.includes(s.value)) inOrder.push(s.value);
    const k = pos.price
      ? byPrice(inOrder, turns[i].entities, ex, pos.price)
      : pos.n === OTHER
        ? inOrder.length === 2 && talk !== undefined ? 1 - inOrder.indexOf(talk) : -1
        : pos.n === -1 ? inOrder.length - 1 : pos.n - 1;
    if (k < 0 || k >= inOrder.length) return null;
    return { product: { kind, value: inOrder[k] }, start: pos.start, end: pos.end, turn: i };
  }
  return null;
}

/** The index of the strictly cheapest (`low`) or dearest listed series, at the volume and format the list turn named; -1 when a price is missing or two tie. */
function byPrice(series: readonly string[], turn: readonly DialogueEntity[], ex: DialogueEntities, end: 'low' | 'high'): number {
  const one = (kind: string) => {
    const vs = [...new Set(turn.filter((e) => e.kind === kind).map((e) => e.value))];
    return vs.length === 1 ? vs[0] : undefined;
  };
  const prices = series.map((s) => ex.prices.priceOf(s, one('volume'), one('format')));
  if (prices.some((p) => p === undefined)) return -1;
  const best = end === 'low' ? Math.min(...(prices as number[])) : Math.max(...(prices as number[]));
  return prices.filter((p) => p === best).length === 1 ? prices.indexOf(best) : -1;
}
