/**
 * The three rewrites of a follow-up into a standalone message: re-asking the previous question
 * with new entities (ellipsis), replacing pronouns with what they point at, and putting the
 * series before a bare volume or slot; and how entities are said in the rewritten text
 * ("volume 2", "in japanese", "KB-10492"). Pure string work over the entity spans.
 */
import { PRODUCT_SLOTS, type DialogueEntities, type DialogueEntity, type DialogueKind, type MessageAnalysis, type Span } from './dialogue-entities.ts';
import { FILLERS, INTERJECTIONS, PLACE_PRONOUN, PLURAL_PRONOUNS, YES_NO_STARTS } from './english-cues.ts';
import type { Cues } from './follow-up-cues.ts';

/**
 * Re-asks `frameText` with this message's entities: a kind the frame has is replaced, a product
 * slot the frame lacks goes after its series, anything else at the end; naming another series
 * drops the frame's volume, edition, format and language, except the slot the frame asks about
 * (`askedSlot`). Words the rules do not understand are appended and flagged (`leftover`), which
 * lowers the confidence.
 */
export function reframe(a: MessageAnalysis, frameText: string, own: DialogueEntity[], cues: Cues, ex: DialogueEntities): { text: string; changed: boolean; leftover: boolean } {
  const f = ex.analyze(frameText);
  const parts: string[][] = f.words.map((x) => [x]);
  const spanOf = (kind: DialogueKind) => f.spans.find((s) => s.kind === kind);
  const ownSpans = a.spans.map((s, i) => ({ ...s, value: own[a.entities.findIndex((e) => e.kind === s.kind && e.value === s.value)]?.value ?? s.value, i }));
  const newProduct = ownSpans.find((s) => s.kind === 'product');
  const frameProduct = spanOf('product');
  if (newProduct && frameProduct && newProduct.value !== frameProduct.value) {
    const asked = askedSlot(f);
    for (const s of f.spans) if (PRODUCT_SLOTS.includes(s.kind) && s !== asked && !ownSpans.some((o) => o.kind === s.kind)) clear(parts, s);
  }
  // "vol 2 then" after the box set, "the box set?" after vol 1: the slot said replaces the one it excludes
  for (const s of f.spans) if (ownSpans.some((o) => ex.excludes(o, s))) clear(parts, s);
  let changed = false;
  const trailing: string[] = [];
  // Replacements first: a slot put after the frame's last product word must not be cleared when
  // that word is then replaced ("spy x family 6" + "the japanese edition of the first one").
  const replacesFirst = [...ownSpans].sort((x, y) => Number(!spanOf(x.kind)) - Number(!spanOf(y.kind)));
  const covered = new Set<number>();
  for (const s of a.spans) for (let i = s.start; i < s.end; i++) covered.add(i);
  const left = (x: string, i: number) => !covered.has(i) && i >= cues.openerLength && !FILLERS.has(x) && !cues.pronounAt.has(i);
  // The words of a term question are all question words; other words left over are kept, and a
  // store term the frame lacks stays where the shopper said it among them ("sent faster because …").
  const wordy = !cues.termAsk && a.words.some(left);
  const said = new Set<string>();
  for (const s of replacesFirst) {
    if (wordy && s.kind === 'term' && !spanOf('term')) {
      for (let i = s.start; i < s.end; i++) covered.delete(i);
      changed = true;
      continue;
    }
    // a number that is no volume ("and if i buy three?") is said at the end, as it was
    if (s.kind === 'number') {
      trailing.push(...a.words.slice(s.start, s.end));
      continue;
    }
    // a thing said twice ("can it go faster, what is the fastest": express twice) is written once
    if (s.kind === 'date' || said.has(`${s.kind}:${s.value}`)) continue;
    said.add(`${s.kind}:${s.value}`);
    const words = render(s, ex).split(' ');
    const target = spanOf(s.kind);
    changed = true;
    if (target) {
      // every mention of the frame's value goes ("san juan puerto rico": one place said twice)
      for (const x of f.spans) if (x !== target && x.kind === target.kind && x.value === target.value) clear(parts, x);
      clear(parts, target);
      parts[target.start] = words;
    } else if ((PRODUCT_SLOTS.includes(s.kind) || s.kind === 'product') && f.spans.some((x) => x.kind === 'product' || PRODUCT_SLOTS.includes(x.kind))) {
      const lastProductSpan = f.spans.filter((x) => x.kind === 'product' || PRODUCT_SLOTS.includes(x.kind)).at(-1)!;
      parts[lastProductSpan.end - 1] = [...parts[lastProductSpan.end - 1], ...words];
    } else {
      trailing.push(...(s.kind === 'place' ? ['to', ...words] : words));
    }
  }
  const leftover = cues.termAsk ? [] : a.words.filter(left);
  const text = [...parts.flat(), ...trailing, ...leftover].join(' ');
  return { text, changed, leftover: leftover.length > 0 };
}

/**
 * The slot a yes/no question asks about: a product slot after the series that ends the question
 * ("is the sailor moon eternal edition hardcover", "does naruto come in japanese"). It is what is
 * asked, not which copy, so an ellipsis naming another series keeps it ("and cardcaptor sakura?"
 * asks whether that one is hardcover); a slot before the series or followed by the predicate
 * ("is berserk volume 3 in stock", "how much is the naruto hardcover") names a copy and is not it.
 */
export function askedSlot(f: MessageAnalysis): Span | undefined {
  const first = f.words.find((w) => !INTERJECTIONS.has(w));
  const product = f.spans.find((s) => s.kind === 'product');
  const last = f.spans.at(-1);
  if (!first || !YES_NO_STARTS.has(first) || !product || !last) return undefined;
  return PRODUCT_SLOTS.includes(last.kind) && last.start >= product.end && last.end === f.words.length ? last : undefined;
}

/** "is it in stock" → "is berserk deluxe edition volume 2 in stock"; "do you ship there" → "… ship to canada". */
export function replacePronouns(a: MessageAnalysis, entities: DialogueEntity[], own: DialogueEntity[], cues: Cues, ids: IdTest): string {
  const ownKinds = new Set(own.map((e) => e.kind));
  const out: string[] = [];
  const place = entities.find((e) => e.kind === 'place');
  const order = entities.find((e) => e.kind === 'order');
  const said = entities.filter((e) => !ownKinds.has(e.kind) || e.kind === 'product');
  const product = productPhrase(said, ids);
  // "they" of two titles named together: both, each with the slots said of them ("hunter x hunter volume 2 and my hero academia volume 2")
  const titles = said.filter((e) => e.kind === 'product');
  const all = titles.length > 1 ? titles.map((t) => productPhrase([t, ...said.filter((e) => e.kind !== 'product')], ids)).join(' and ') : product;
  for (let i = 0; i < a.words.length; i++) {
    const x = a.words[i];
    if (!cues.pronounAt.has(i)) {
      out.push(x);
      continue;
    }
    if (x === PLACE_PRONOUN) {
      out.push(...(a.words[i - 1] === 'to' ? [] : ['to']), place?.value ?? x);
    } else {
      out.push((PLURAL_PRONOUNS.has(x) ? all : product) || (order ? `order ${order.value.toUpperCase()}` : x));
      if (a.words[i + 1] === 'one' || a.words[i + 1] === 'ones') i++;
      if (a.words[i + 1] === 's') {
        out.push('is');
        i++;
      }
    }
  }
  return out.join(' ');
}

/** "how much is the first one" → "how much is the frieren volume 1". */
export function insertSeries(a: MessageAnalysis, series: string, ids: IdTest): string {
  const first = a.spans.find((s) => PRODUCT_SLOTS.includes(s.kind))!;
  const parts: string[][] = a.words.map((x) => [x]);
  for (const s of a.spans) if (PRODUCT_SLOTS.includes(s.kind)) {
    clear(parts, s);
    parts[s.start] = render(s, ids).split(' ');
  }
  parts[first.start] = [series, ...parts[first.start]];
  return parts.flat().join(' ');
}

/** The words a series and its slots are said with: "berserk deluxe edition volume 2 in japanese". */
export function productPhrase(entities: DialogueEntity[], ids: IdTest): string {
  const get = (k: DialogueKind) => entities.find((e) => e.kind === k);
  const order: DialogueKind[] = ['product', 'edition', 'format', 'volume', 'language'];
  return order
    .map(get)
    .filter((e): e is DialogueEntity => !!e)
    .map((e) => render(e, ids))
    .join(' ');
}

/** Whether an entity is one of the domain's ids (DialogueEntities.isId). */
type IdTest = Pick<DialogueEntities, 'isId'>;

function render(e: DialogueEntity, ids: IdTest): string {
  if (e.kind === 'volume') return `volume ${e.value}`;
  if (e.kind === 'language') return `in ${e.value}`;
  if (ids.isId(e)) return e.value.toUpperCase();
  return e.value;
}

function clear(parts: string[][], s: Span): void {
  for (let i = s.start; i < s.end; i++) parts[i] = [];
}

