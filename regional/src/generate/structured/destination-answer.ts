/**
 * Shipping to a place, from the policies' own tables and lists: the table row that names the
 * place (price and time per method, rendered from the headers), else the block whose heading
 * names it (its table rows or items), else the item that names it ("where we don't ship"), else
 * the destination the domain's aliases put it under (Germany → the European Union row), else the
 * row for every other country; several places asked about at once each get theirs. A method the question names (a row label, a header group such as
 * "Express") narrows the answer to it. A destination row reads as the pack's `destinationSentence`
 * ("Shipping to {place}: {rates}"). Refuses nothing: null when the policies have no answer.
 */
import type { StoreAnswerData } from './answer-data.ts';
import { fillSentence } from './catalog-answer.ts';
import type { PolicyBlock, PolicyTable } from './policy-tables.ts';
import { hasPhrase, normalize } from './text.ts';

export interface PolicyAnswer {
  sentences: string[];
  /** What the answer cites ("Shipping › International"). */
  source: string;
  documentId: string;
  /** The policy text the answer comes from (table headers and rows, or items), as its record. */
  needles: string[];
}

const placeIn = (text: string, place: string) => new RegExp(`(?:^| )${normalize(place).replace(/ /g, ' ')}(?:es|s)?(?: |$)`).test(normalize(text));
const tidy = (s: string) => s.replace(/\bFREE\b/g, 'free').replace(/\s+/g, ' ').trim();
const sentence = (s: string) => (/[.!?)]$/.test(s) ? s : `${s}.`);

/** Header groups: "Standard price" + "Standard time" → Standard: [price col, time col]. */
function groups(t: PolicyTable): { name: string; cols: number[] }[] {
  const out: { name: string; cols: number[] }[] = [];
  t.headers.forEach((h, i) => {
    if (i === 0) return;
    const m = /^(\S+)\s+(price|time|cost)$/i.exec(h.trim());
    const name = m ? m[1] : h;
    const g = out.find((x) => x.name === name);
    if (g) g.cols.push(i);
    else out.push({ name, cols: [i] });
  });
  return out;
}

function renderRow(t: PolicyTable, row: string[], question: string, label: string, template: string): string {
  const gs = groups(t);
  const named = gs.filter((g) => hasPhrase(question, g.name));
  const pick = named.length && gs.every((g) => g.cols.length > 1) ? named : gs;
  if (gs.every((g) => g.cols.length > 1)) {
    // A destination row: methods as header groups.
    const parts = pick.map((g) => `${g.name} ${g.cols.map((c) => tidy(row[c])).join(', ')}`);
    return sentence(fillSentence(template, { place: label, rates: parts.join('; ') }));
  }
  // A method row: its columns in order ("Standard (carrier): price, time").
  const [first, ...rest] = row.map(tidy);
  const carrier = t.headers.findIndex((h) => /carrier/i.test(h));
  const cells = rest.filter((_, i) => i + 1 !== carrier);
  return sentence(`${first}${carrier > 0 ? ` (${row[carrier]})` : ''}: ${cells.join(', ')}`);
}

function fromBlock(b: PolicyBlock, question: string, place: string, template: string, methods: readonly string[] = []): PolicyAnswer {
  const source = b.path.join(' › ');
  const label = b.path.at(-1) ?? '';
  if (b.tables.length) {
    const t = b.tables[0];
    const named = t.rows.filter((r) => hasPhrase(question, r[0]));
    const rows = named.length ? named : t.rows;
    return { sentences: rows.map((r) => renderRow(t, r, question, label, template)), source, documentId: b.documentId, needles: [t.headers.join(' | '), ...rows.map((r) => r.join(' | '))] };
  }
  const methodItems = b.items.filter((i) => {
    const head = /^([^:]{2,40}):/.exec(i)?.[1];
    return head && hasPhrase(question, head);
  });
  // a method the question names that an item speaks of without heading it ("is overnight possible" → "… Overnight is not available.")
  const asked = methods.filter((m) => hasPhrase(question, m));
  const mentioning = asked.length ? b.items.filter((i) => asked.some((m) => hasPhrase(normalize(i), m))) : [];
  const naming = b.items.filter((i) => placeIn(i, place));
  const items = (methodItems.length ? methodItems : mentioning.length ? mentioning : naming.length ? naming : b.items.filter((i) => /\p{Sc}\d|\bdays?\b/u.test(i))).slice(0, 2);
  const used = items.length ? items : b.items.slice(0, 1);
  return { sentences: used.map((i) => sentence(`${label}: ${tidy(i)}`)), source, documentId: b.documentId, needles: used };
}

export function destinationAnswer(data: StoreAnswerData, question: string, places: string[]): PolicyAnswer | null {
  const q = normalize(question);
  const other = normalize(data.config.otherPlaces);
  const tableBlocks = data.policies.filter((b) => b.tables.some((t) => t.rows.some((r) => normalize(r[0]).includes(other))));
  const docs = new Set(tableBlocks.map((b) => b.documentId));
  const blocks = data.policies.filter((b) => docs.has(b.documentId));
  const rowFor = (place: string): PolicyAnswer | null => {
    for (const b of blocks)
      for (const t of b.tables)
        for (const r of t.rows)
          if (placeIn(r[0], place)) return { sentences: [renderRow(t, r, q, r[0], data.config.destinationSentence)], source: b.path.join(' › '), documentId: b.documentId, needles: [t.headers.join(' | '), r.join(' | ')] };
    return null;
  };
  const headingFor = (place: string) => blocks.find((b) => b.path.length > 1 && placeIn(b.path.at(-1)!, place));
  // The shipping methods: the row labels of the method tables ("Standard", "Expedited", "Overnight").
  const methods = [...new Set(blocks.flatMap((b) => b.tables.filter((t) => !groups(t).every((g) => g.cols.length > 1)).flatMap((t) => t.rows.map((r) => normalize(r[0])))))].filter((m) => m && m.split(' ').length <= 2);
  const itemFor = (place: string): PolicyAnswer | null => {
    for (const b of blocks) {
      const item = b.items.find((i) => placeIn(i, place));
      if (item) return { sentences: [sentence(tidy(item))], source: b.path.join(' › '), documentId: b.documentId, needles: [item] };
    }
    return null;
  };
  const answerFor = (place: string): PolicyAnswer | null => {
    const h = headingFor(place);
    const direct = rowFor(place) ?? (h ? fromBlock(h, q, place, data.config.destinationSentence, methods) : null) ?? itemFor(place);
    if (direct) return direct;
    const alias = Object.entries(data.config.placeAliases).find(([, list]) => list.some((p) => normalize(p) === normalize(place)))?.[0];
    if (!alias) return null;
    const ha = headingFor(alias);
    return rowFor(alias) ?? (ha ? fromBlock(ha, q, alias, data.config.destinationSentence, methods) : null);
  };
  // Each place asked about gets its own answer ("shipping to mexico and canada"), once per row.
  const found: PolicyAnswer[] = [];
  for (const place of places) {
    const a = answerFor(place);
    if (a && !found.some((f) => f.needles.join('\n') === a.needles.join('\n'))) found.push(a);
  }
  if (found.length > 1) return { sentences: found.flatMap((f) => f.sentences), source: found[0].source, documentId: found[0].documentId, needles: found.flatMap((f) => f.needles) };
  if (found.length) return found[0];
  if (places.length) return rowFor(data.config.otherPlaces);
  return null;
}
