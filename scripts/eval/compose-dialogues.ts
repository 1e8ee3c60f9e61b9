/**
 * Writes domains/kitsune-books/eval/dialogues.jsonl: the store's dialogue set, composed from its
 * real catalog (kb/catalog.json) and policy tables (kb/policies.md — every policy fact used is
 * checked to appear there), with phrasing written here, apart from the intent training data
 * (a message of more than four words that equals a training, validation or test sentence gets another opener). Seeded, so a rerun
 * gives the same file. Run: `npx tsx scripts/eval/compose-dialogues.ts`. Not used at run time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seriesName as titleSeries } from '../../shared/cache/store-gazetteer.ts';
import { Dialogue, type DialogueTurn, type ExpectedEntity } from './dialogue-set.ts';

const STORE = join(import.meta.dirname, '../../domains/kitsune-books');
interface Item { id: string; title: string; author: string; volume: number | null; format: string; language: string; ageRating: string; price: number; stock: number; preorder: boolean; releaseDate?: string }
const catalog: Item[] = JSON.parse(readFileSync(join(STORE, 'kb/catalog.json'), 'utf8'));
const policies = readFileSync(join(STORE, 'kb/policies.md'), 'utf8');
const seriesEndWords: string[] = JSON.parse(readFileSync(join(STORE, 'conversation.json'), 'utf8')).seriesEndWords ?? [];
const seriesName = (title: string) => titleSeries(title, seriesEndWords);
const trained = new Set(
  ['train', 'val', 'test'].flatMap((s) => readFileSync(join(STORE, `intents/${s}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => norm(JSON.parse(l).text))),
);
function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}
/** A policy fact must be in policies.md as written (bold markers ignored). */
function policy(fact: string): string {
  if (!policies.replace(/\*\*/g, '').includes(fact)) throw new Error(`not in policies.md: ${fact}`);
  return fact;
}

let seed = 20261205;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];

const price = (i: Item) => `$${i.price.toFixed(2)}`;
/** A release date as a shopper may read it: 2026-09-01 or September 1, 2026. */
const releaseFact = (iso: string) => `${iso}|${new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-US', { month: 'long', day: 'numeric', year: 'numeric', timeZone: 'UTC' })}`;
const stockFacts = (i: Item): { must: string[]; not: string[] } =>
  i.preorder
    ? { must: [titleFact(i), 'preorder|pre-order', releaseFact(i.releaseDate!)], not: [] }
    : i.stock > 0
      ? // An ebook is never "in stock": it is available to download.
        { must: [titleFact(i), i.format === 'ebook' ? 'in stock|available now|available to download' : 'in stock'], not: [] }
      : { must: [titleFact(i), 'out of stock|sold out'], not: [] };
const product = (i: Item): ExpectedEntity => ({ kind: 'product', value: seriesName(i.title) });
const vol = (n: number): ExpectedEntity => ({ kind: 'volume', value: String(n) });
const place = (p: string): ExpectedEntity => ({ kind: 'place', value: p });
/** The item named so a shopper knows which one the answer is about: its catalog title, or series and volume said another way. */
const titleFact = (i: Item) => {
  const m = /^(.*), (Vol\.|Book) (\d+)$/.exec(i.title);
  return m ? [i.title, `${m[1]} ${m[2]} ${m[3]}`, `${m[1]} volume ${m[3]}`, `${m[1]} vol ${m[3]}`].join('|') : i.title;
};

function turn(message: string, followUp: boolean, e: Omit<DialogueTurn['expect'], 'path'> & { path?: DialogueTurn['expect']['path'] }): DialogueTurn {
  const path = e.path ?? ({ price_availability: 'catalog', recommendation: 'llm', order_status: 'order', shipping_info: 'cacheable', purchase_help: 'cacheable', product_question: 'cacheable' } as const)[e.intent as 'price_availability'] ?? 'template';
  return { message, followUp, expect: { ...e, path } };
}

const dialogues: Dialogue[] = [];
function add(id: string, kinds: Dialogue['kinds'], turns: DialogueTurn[], trapGroup?: string) {
  // Short stock phrases ("is it in stock?", "thanks!") are everyone's words; longer ones must be our own.
  // A longer one that a training sentence happens to equal gets an opener of its own.
  for (const t of turns) {
    if (norm(t.message).split(' ').length <= 4) continue;
    for (const opener of ['', 'Quick question: ', 'Hi again, ', 'One more thing - ']) {
      const m = opener + (opener ? t.message[0].toLowerCase() + t.message.slice(1) : t.message);
      if (!trained.has(norm(m))) {
        t.message = m;
        break;
      }
    }
    if (trained.has(norm(t.message))) throw new Error(`"${t.message}" is a training sentence`);
  }
  dialogues.push(Dialogue.parse({ id, kinds, ...(trapGroup ? { trapGroup } : {}), turns }));
}

// ---- volumes of one series: price, then another volume by ellipsis, then stock by pronoun ----
const standard = catalog.filter((i) => i.volume !== null && i.language === 'English' && i.format !== 'ebook' && /, (Vol\.|Book) \d+$/.test(i.title) && !/Edition|Omnibus|Deluxe|Light Novel|Collector/.test(i.title));
const bySeries = new Map<string, Item[]>();
for (const i of standard) bySeries.set(seriesName(i.title), [...(bySeries.get(seriesName(i.title)) ?? []), i]);
const deluxe = catalog.filter((i) => /Deluxe Edition, Vol\.|Perfect Edition, Vol\.|Black Edition, Vol\.|Fullmetal Edition, Vol\.|Collector's Edition, Vol\.|VIZBIG Edition\), Vol\./.test(i.title));
for (const i of deluxe) bySeries.set(seriesName(i.title), [...(bySeries.get(seriesName(i.title)) ?? []), i]);
const spoken = (i: Item) => i.title.replace(/, (Vol\.|Book) \d+.*$/, '').replace(/: Beyond Journey's End|: Kimetsu no Yaiba/, '');
const OPEN_PRICE = [
  (t: string, n: number) => `How much is ${t} volume ${n}?`,
  (t: string, n: number) => `what's the price of ${t} vol ${n}`,
  (t: string, n: number) => `How much does ${t} vol. ${n} cost?`,
  (t: string, n: number) => `I'm looking at ${t} volume ${n} - what does it cost?`,
  (t: string, n: number) => `what do you charge for ${t} vol ${n}?`,
  (t: string, n: number) => `Price for ${t} vol ${n} please`,
];
const ORD = ['zeroth', 'first', 'second', 'third', 'fourth', 'fifth'];
const NEXT_VOL = [
  (n: number) => `and volume ${n}?`,
  (n: number) => `what about vol ${n}?`,
  (n: number) => `And vol. ${n}?`,
  (n: number) => `how about volume ${n}`,
  (n: number) => `same question for volume ${n}`,
  (n: number) => (n <= 5 ? `and the ${ORD[n]} one?` : `ok and number ${n}?`),
  (n: number) => `vol ${n}?`,
];
const STOCK_Q = ['is it in stock?', 'do you have it in stock right now?', 'is that one available?', 'can I order it today or is it sold out?', 'any copies of it left?', 'is it available to buy now?'];
const PRICE_Q = ['how much is it?', 'what does that one cost?', 'and the price?', 'how much?', 'what would it cost me?'];
let n = 0;
for (const [series, items] of bySeries) {
  const vols = items.filter((i) => i.volume! > 0).sort((a, b) => a.volume! - b.volume!);
  if (vols.length < 2) continue;
  const pairs: [Item, Item][] = [[vols[0], vols[1]]];
  if (vols.length > 2) pairs.push([vols[vols.length - 1], vols[Math.floor(vols.length / 2)]]);
  for (const [a, b] of pairs) {
    const name = spoken(a);
    const confuser = standard.find((o) => seriesName(o.title) !== series && o.volume === b.volume && !o.title.startsWith(name));
    const turns = [
      turn(pick(OPEN_PRICE)(name, a.volume!), false, { resolved: `How much is ${a.title}?`, entities: [product(a), vol(a.volume!)], intent: 'price_availability', answerKey: `price:${a.id}`, mustContain: [price(a)], mustNotContain: [] }),
      turn(pick(NEXT_VOL)(b.volume!), true, { resolved: `How much is ${b.title}?`, entities: [product(b), vol(b.volume!)], intent: 'price_availability', answerKey: `price:${b.id}`, mustContain: [price(b), titleFact(b)], mustNotContain: confuser ? [confuser.title] : [] }),
    ];
    if (n++ % 2 === 0) {
      const s = stockFacts(b);
      turns.push(turn(pick(STOCK_Q), true, { resolved: `Is ${b.title} in stock?`, entities: [product(b), vol(b.volume!)], intent: 'price_availability', answerKey: `stock:${b.id}`, mustContain: s.must, mustNotContain: s.not }));
    }
    add(`volumes-${series.replace(/[^a-z0-9]+/g, '-')}-${a.volume}-${b.volume}`, ['ellipsis', 'volume_switch', ...(turns.length > 2 ? (['pronoun'] as const) : [])], turns);
  }
}

// ---- a title, then "is it in stock?" / "how much is it?" ----
const singles = catalog.filter((i) => i.volume === null && i.format !== 'ebook' && i.format !== 'box set' && seriesName(i.title).length >= 4 && !/\d/.test(i.title)).slice(0, 60);
/** How a shopper brings up a title: asking whether we sell it (price_availability), or about it (product_question). */
const OPEN_TITLE: [(t: string) => string, 'price_availability' | 'product_question'][] = [
  [(t) => `Do you sell ${t}?`, 'price_availability'],
  [(t) => `Tell me about ${t}`, 'product_question'],
  [(t) => `I'm interested in ${t}. What's it about?`, 'product_question'],
  [(t) => `do you carry ${t}`, 'price_availability'],
  [(t) => `Looking for ${t}, do you have it?`, 'price_availability'],
];
singles.filter((_, k) => k % 3 === 0).forEach((i) => {
  const s = stockFacts(i);
  const askPrice = rand() < 0.5;
  add(`pronoun-${seriesName(i.title).replace(/[^a-z0-9]+/g, '-')}`, ['pronoun'], [
    (([say, intent]) => turn(say(i.title), false, { resolved: intent === 'price_availability' ? `Do you sell ${i.title}?` : `What is ${i.title} about?`, entities: [product(i)], intent, answerKey: `${intent === 'price_availability' ? 'price' : 'about'}:${i.id}`, mustContain: [i.title], mustNotContain: [] }))(pick(OPEN_TITLE)),
    askPrice
      ? turn(pick(PRICE_Q), true, { resolved: `How much is ${i.title}?`, entities: [product(i)], intent: 'price_availability', answerKey: `price:${i.id}`, mustContain: [titleFact(i), price(i)], mustNotContain: [] })
      : turn(pick(STOCK_Q), true, { resolved: `Is ${i.title} in stock?`, entities: [product(i)], intent: 'price_availability', answerKey: `stock:${i.id}`, mustContain: s.must, mustNotContain: s.not }),
  ]);
});

// ---- editions, formats, languages of one title ----
const byId = (id: string) => catalog.find((i) => i.id === id)!;
const SWITCHES: [string, string, string, 'edition' | 'format' | 'language', string, Dialogue['kinds'][number]][] = [
  ['KB-SKU-0023', 'KB-SKU-0030', 'is there a Japanese edition of it?', 'language', 'japanese', 'language_switch'],
  ['KB-SKU-0023', 'KB-SKU-0031', 'and as an ebook?', 'format', 'ebook', 'format_switch'],
  ['KB-SKU-0001', 'KB-SKU-0011', 'what about the omnibus edition?', 'edition', 'omnibus', 'edition_switch'],
  ['KB-SKU-0001', 'KB-SKU-0012', 'the Japanese version?', 'language', 'japanese', 'language_switch'],
  ['KB-SKU-0032', 'KB-SKU-0037', 'do you have it in japanese?', 'language', 'japanese', 'language_switch'],
  ['KB-SKU-0038', 'KB-SKU-0045', 'and the Japanese one?', 'language', 'japanese', 'language_switch'],
  ['KB-SKU-0074', 'KB-SKU-0075', 'original japanese edition?', 'language', 'japanese', 'language_switch'],
  ['KB-SKU-0167', 'KB-SKU-0168', 'and the deluxe edition?', 'edition', 'deluxe edition', 'edition_switch'],
  ['KB-SKU-0167', 'KB-SKU-0169', 'is there an ebook?', 'format', 'ebook', 'format_switch'],
  ['KB-SKU-0171', 'KB-SKU-0172', 'is the paperback cheaper?', 'format', 'paperback', 'format_switch'],
  ['KB-SKU-0171', 'KB-SKU-0173', 'what about the e-book?', 'format', 'ebook', 'format_switch'],
  ['KB-SKU-0055', 'KB-SKU-0057', 'and the deluxe one?', 'edition', 'deluxe edition', 'edition_switch'],
  ['KB-SKU-0177', 'KB-SKU-0178', 'the illustrated edition?', 'edition', 'illustrated edition', 'edition_switch'],
  ['KB-SKU-0155', 'KB-SKU-0156', 'how about the omnibus?', 'edition', 'omnibus', 'edition_switch'],
  ['KB-SKU-0076', 'KB-SKU-0077', 'what about the black edition?', 'edition', 'black edition', 'edition_switch'],
  ['KB-SKU-0012', 'KB-SKU-0001', 'and in english?', 'language', 'english', 'language_switch'],
  ['KB-SKU-0030', 'KB-SKU-0031', 'is there a digital copy too?', 'format', 'ebook', 'format_switch'],
  ['KB-SKU-0172', 'KB-SKU-0171', 'and the hardcover?', 'format', 'hardcover', 'format_switch'],
  ['KB-SKU-0019', 'KB-SKU-0021', 'and the third volume?', 'edition', 'deluxe edition', 'volume_switch'],
  ['KB-SKU-0079', 'KB-SKU-0081', 'is there a box set?', 'format', 'box set', 'format_switch'],
];
for (const [fromId, toId, ask, kind, value, tag] of SWITCHES) {
  const a = byId(fromId);
  const b = byId(toId);
  const base = [product(a), ...(a.volume ? [vol(a.volume)] : [])];
  const target: ExpectedEntity[] = tag === 'volume_switch' ? [product(b), vol(b.volume!)] : [product(a), ...(b.volume ? [vol(b.volume)] : []), { kind, value }];
  const turns = [
    turn(pick([`How much is ${a.title}?`, `What's the price for ${a.title}?`, `how much for ${a.title}`]), false, { resolved: `How much is ${a.title}?`, entities: base, intent: 'price_availability', answerKey: `price:${a.id}`, mustContain: [price(a)], mustNotContain: [] }),
    turn(ask, true, { resolved: `How much is ${b.title}?`, entities: target, intent: 'price_availability', answerKey: `price:${b.id}`, mustContain: [titleFact(b), price(b)], mustNotContain: [] }),
  ];
  if (rand() < 0.5) {
    const s = stockFacts(b);
    turns.push(turn(pick(STOCK_Q), true, { resolved: `Is ${b.title} in stock?`, entities: target, intent: 'price_availability', answerKey: `stock:${b.id}`, mustContain: s.must, mustNotContain: s.not }));
  }
  add(`switch-${fromId.slice(-4)}-${toId.slice(-4)}`, [tag, 'ellipsis'], turns);
}

// ---- destinations ----
interface Dest { name: string; place: string; std: string; time: string; exp?: string; expTime?: string }
const D = (name: string, place: string, std: string, time: string, exp?: string, expTime?: string): Dest => ({ name, place, std: policy(std), time: policy(time), ...(exp ? { exp: policy(exp), expTime: policy(expTime!) } : {}) });
const DESTS: Dest[] = [
  D('Canada', 'canada', '$14.99', '7–12 business days', '$39.99', '3–5 business days'),
  D('Mexico', 'mexico', '$19.99', '10–20 business days', '$44.99', '3–6 business days'),
  D('the UK', 'united kingdom', '$19.99', '7–14 business days', '$44.99', '3–5 business days'),
  D('Germany', 'germany', '$21.99', '8–15 business days', '$44.99', '3–6 business days'),
  D('France', 'france', '$21.99', '8–15 business days', '$44.99', '3–6 business days'),
  D('Ireland', 'ireland', '$21.99', '8–15 business days', '$44.99', '3–6 business days'),
  D('Japan', 'japan', '$22.99', '8–16 business days', '$49.99', '3–6 business days'),
  D('South Korea', 'south korea', '$22.99', '8–16 business days', '$49.99', '3–6 business days'),
  D('Singapore', 'singapore', '$22.99', '8–16 business days', '$49.99', '3–6 business days'),
  D('Australia', 'australia', '$24.99', '10–20 business days', '$54.99', '4–7 business days'),
  D('New Zealand', 'new zealand', '$24.99', '10–20 business days', '$54.99', '4–7 business days'),
  D('Alaska', 'alaska', '$12.99', '5–10 business days', '$34.99', '2–3 business days'),
  D('Hawaii', 'hawaii', '$12.99', '5–10 business days', '$34.99', '2–3 business days'),
  D('Puerto Rico', 'puerto rico', '$12.99', '7–14 business days'),
];
const dash = (s: string) => s.replace('–', '-');
const shipTurn = (d: Dest, msg: string, followUp: boolean, what: 'yes' | 'time' | 'price' | 'express', not: Dest | null): DialogueTurn => {
  const range = (x: Dest) => dash(x.time).replace(' business days', '');
  // "Yes, we ship to X" may name X by its row in the rate table (the UK as United Kingdom, France as the European Union).
  const named = [d.name.replace(/^the /, ''), ...(d.place === 'united kingdom' ? ['United Kingdom'] : []), ...(['germany', 'france', 'ireland'].includes(d.place) ? ['European Union'] : [])].join('|');
  const must = what === 'time' ? [range(d)] : what === 'price' ? [d.std] : what === 'express' ? [d.exp!] : [named];
  const mustNot = not && what !== 'yes' ? [what === 'time' ? range(not) : what === 'price' ? not.std : not.exp!].filter((x) => !must.includes(x)) : [];
  const resolved = { yes: `Do you ship to ${d.name}?`, time: `How long does shipping to ${d.name} take?`, price: `How much is shipping to ${d.name}?`, express: `How much is express shipping to ${d.name}?` }[what];
  const entities = [place(d.place), ...(what === 'express' ? [] : [])];
  return turn(msg, followUp, { resolved, entities, intent: 'shipping_info', answerKey: `ship:${d.place}:${what}`, mustContain: must, mustNotContain: mustNot });
};
const OPEN_SHIP = [(d: string) => `Do you ship to ${d}?`, (d: string) => `can you send books to ${d}`, (d: string) => `Is shipping to ${d} possible?`, (d: string) => `do you deliver to ${d}?`, (d: string) => `I live in ${d.replace(/^the /, '')}. Can I order from you?`];
const TIME_Q = ['how long does it take?', 'how long would delivery take?', 'and how many days until it arrives?', 'how long will it take to get there?', 'what is the delivery time?'];
const PRICE_SHIP_Q = ['and how much is it?', 'what does that cost?', 'how much would shipping be?', 'and the cost?'];
const OTHER_DEST = [(d: string) => `what about ${d}?`, (d: string) => `and to ${d}?`, (d: string) => `how about ${d}`, (d: string) => `same for ${d}?`];
const EXPRESS_Q = ['and express?', 'is there a faster option?', 'how much is express?', 'what about express shipping?'];
// Cache traps: the same follow-up words after different destinations, in different sessions, in this order.
const trapWords = ['how long does it take?', 'how much is it?', 'and express?'];
trapWords.forEach((w, k) => {
  const what = (['time', 'price', 'express'] as const)[k];
  const group = DESTS.filter((d) => what !== 'express' || d.exp).filter((_, j) => (j + k) % 2 === 0).slice(0, 6);
  group.forEach((d, j) => add(`trap-ship-${what}-${d.place.replace(/ /g, '-')}`, ['cache_trap', 'pronoun', 'ellipsis'], [
    shipTurn(d, OPEN_SHIP[j % OPEN_SHIP.length](d.name), false, 'yes', null),
    shipTurn(d, w, true, what, group[(j + 1) % group.length]),
  ], `ship-${what}`));
});
for (let k = 0; k < 16; k++) {
  const a = DESTS[k % DESTS.length];
  const b = DESTS[(k * 5 + 3) % DESTS.length];
  if (a === b || !b.exp) continue;
  const turns = [
    turn(pick([`What does shipping to ${a.name} cost?`, `how much is shipping to ${a.name}`, `Shipping price to ${a.name}?`]), false, { resolved: `How much is shipping to ${a.name}?`, entities: [place(a.place)], intent: 'shipping_info', answerKey: `ship:${a.place}:price`, mustContain: [a.std], mustNotContain: [] }),
    shipTurn(b, pick(OTHER_DEST)(b.name), true, 'price', a.std === b.std ? null : a),
  ];
  if (k % 2 === 0) turns.push(shipTurn(b, pick(TIME_Q), true, 'time', null));
  if (k % 4 === 0) turns.push(shipTurn(b, pick(EXPRESS_Q), true, 'express', null));
  add(`destinations-${k + 1}-${a.place.replace(/ /g, '-')}-${b.place.replace(/ /g, '-')}`, ['destination_switch', 'ellipsis'], turns);
}
for (const [k, d] of DESTS.entries()) {
  if (k % 2) continue;
  add(`ship-there-${d.place.replace(/ /g, '-')}`, ['pronoun'], [
    shipTurn(d, pick(OPEN_SHIP)(d.name), false, 'yes', null),
    shipTurn(d, pick(PRICE_SHIP_Q), true, 'price', null),
    shipTurn(d, pick(TIME_Q), true, 'time', null),
  ]);
}

// ---- topic switches: a fresh question must not inherit the context ----
const TOPICS: { msg: string[]; intent: string; key: string; must: string[] }[] = [
  { msg: ["what's your return policy?", 'How do returns work?', 'can I send something back if I change my mind?'], intent: 'return_policy', key: 'returns', must: [policy('30 days')] },
  { msg: ['what payment methods do you accept?', 'Can I pay with PayPal?', 'which cards do you take?'], intent: 'purchase_help', key: 'payment', must: ['PayPal|Visa'] },
  { msg: ['when is your support open?', 'What are your customer service hours?', 'how can I reach a human at your store?'], intent: 'store_hours_contact', key: 'hours', must: ['8:00 AM|9:00 AM'] },
  { msg: ['I want to speak to a real person', 'can you get me a human agent?', 'let me talk to someone from your team'], intent: 'human_agent', key: 'agent', must: ['person|team'] },
];
const anchors = [byId('KB-SKU-0019'), byId('KB-SKU-0102'), byId('KB-SKU-0193'), byId('KB-SKU-0092'), byId('KB-SKU-0160'), byId('KB-SKU-0180'), byId('KB-SKU-0123'), byId('KB-SKU-0063')];
anchors.forEach((a, k) => {
  const t = TOPICS[k % TOPICS.length];
  const back = stockFacts(a);
  add(`topic-${a.id.slice(-4)}-${t.key}`, ['topic_switch', 'pronoun'], [
    turn(`How much is ${a.title}?`, false, { resolved: `How much is ${a.title}?`, entities: [product(a), ...(a.volume ? [vol(a.volume)] : [])], intent: 'price_availability', answerKey: `price:${a.id}`, mustContain: [price(a)], mustNotContain: [] }),
    turn(pick(t.msg), false, { resolved: t.msg[0], entities: [], intent: t.intent, answerKey: t.key, mustContain: t.must, mustNotContain: [a.title] }),
    ...(k % 2 === 0 ? [turn(pick(['ok, and is that book in stock?', 'back to the book - is it in stock?']), true, { resolved: `Is ${a.title} in stock?`, entities: [product(a), ...(a.volume ? [vol(a.volume)] : [])], intent: 'price_availability', answerKey: `stock:${a.id}`, mustContain: back.must, mustNotContain: back.not })] : []),
  ]);
});
DESTS.slice(0, 6).forEach((d, k) => {
  const t = TOPICS[(k + 1) % TOPICS.length];
  add(`topic-ship-${d.place.replace(/ /g, '-')}-${t.key}`, ['topic_switch'], [
    shipTurn(d, pick(OPEN_SHIP)(d.name), false, 'yes', null),
    turn(pick(t.msg), false, { resolved: t.msg[0], entities: [], intent: t.intent, answerKey: t.key, mustContain: t.must, mustNotContain: [dash(d.time)] }),
  ]);
});

// ---- after an out-of-scope message ----
const OOS_THEN: [string, DialogueTurn][] = [
  ["What's the weather going to be like in Tokyo this weekend?", shipTurn(DESTS[6], 'ok then, do you ship there?', true, 'yes', null)],
  ["what's the capital of Australia?", shipTurn(DESTS[9], 'fine. do you deliver there?', true, 'yes', null)],
  ['Who won the football match last night?', turn('never mind. Is Blue Lock vol 1 in stock?', false, { resolved: 'Is Blue Lock, Vol. 1 in stock?', entities: [product(byId('KB-SKU-0070')), vol(1)], intent: 'price_availability', answerKey: 'stock:KB-SKU-0070', mustContain: stockFacts(byId('KB-SKU-0070')).must, mustNotContain: [] })],
  ['Can you do my calculus homework?', turn('ok, how much is Akira volume 1?', false, { resolved: 'How much is Akira, Vol. 1?', entities: [product(byId('KB-SKU-0110')), vol(1)], intent: 'price_availability', answerKey: 'price:KB-SKU-0110', mustContain: ['$29.99'], mustNotContain: [] })],
  ['Summarize Frankenstein for my book report', turn('ok, do you sell it?', true, { resolved: 'Do you sell Frankenstein?', entities: [product(byId('KB-SKU-0192'))], intent: 'price_availability', answerKey: 'price:KB-SKU-0192', mustContain: ['$9.99'], mustNotContain: [] })],
  ['What time does the new Dandadan episode air?', turn('then is Dandadan vol 2 in stock?', false, { resolved: 'Is Dandadan, Vol. 2 in stock?', entities: [product(byId('KB-SKU-0067')), vol(2)], intent: 'price_availability', answerKey: 'stock:KB-SKU-0067', mustContain: stockFacts(byId('KB-SKU-0067')).must, mustNotContain: [] })],
  ['recommend me a good pizza place in Portland', turn('alright, when is your pickup desk open?', false, { resolved: 'When is the Portland Pickup Desk open?', entities: [], intent: 'store_hours_contact', answerKey: 'pickup-hours', mustContain: ['11:00 AM'], mustNotContain: ['pizza'] })],
  ['Translate this sentence into French for me', turn("ok, what's your return window?", false, { resolved: "What's your return window?", entities: [], intent: 'return_policy', answerKey: 'returns', mustContain: ['30 days'], mustNotContain: [] })],
  ['How do I fix my wifi router?', turn('fine, do you ship to Mexico?', false, { resolved: 'Do you ship to Mexico?', entities: [place('mexico')], intent: 'shipping_info', answerKey: 'ship:mexico:yes', mustContain: ['Mexico'], mustNotContain: [] })],
  ["what's the stock price of Nintendo today?", turn('how much is Project Hail Mary?', false, { resolved: 'How much is Project Hail Mary?', entities: [product(byId('KB-SKU-0171'))], intent: 'price_availability', answerKey: 'price:KB-SKU-0171', mustContain: ['$28.99'], mustNotContain: [] })],
  ['Write me a poem about foxes', turn('ok then how long does shipping to Canada take?', false, { resolved: 'How long does shipping to Canada take?', entities: [place('canada')], intent: 'shipping_info', answerKey: 'ship:canada:time', mustContain: ['7-12'], mustNotContain: [] })],
  ['Who is the president of France?', shipTurn(DESTS[4], 'do you ship to France at least?', false, 'yes', null)],
];
OOS_THEN.forEach(([oos, next], k) => {
  const tail = k % 3 === 0 && next.expect.intent === 'shipping_info' ? [shipTurn(DESTS.find((d) => d.place === next.expect.entities[0].value)!, pick(TIME_Q), true, 'time', null)] : [];
  add(`after-oos-${k + 1}`, ['after_oos', ...(next.followUp ? (['pronoun'] as const) : [])], [
    turn(oos, false, { resolved: oos, entities: [], intent: 'oos', answerKey: 'oos', mustContain: ['outside|can help with|can\'t help'], mustNotContain: [] }),
    next,
    ...tail,
  ]);
});

// ---- greetings and thanks around a question ----
const HELLO = ['hi there', 'Hello!', 'good morning', 'hey', 'Hi, anyone there?', 'hello kitsune books'];
const THANKS = ['thanks!', 'great, thank you', 'perfect, thanks a lot', 'ok thx', 'cool, cheers', 'thank you so much'];
const BYE = ['bye!', 'ok, goodbye', 'see you later'];
const greetQs: DialogueTurn[] = [
  turn('how much is Kaiju No. 8 vol 1?', false, { resolved: 'How much is Kaiju No. 8, Vol. 1?', entities: [product(byId('KB-SKU-0092')), vol(1)], intent: 'price_availability', answerKey: 'price:KB-SKU-0092', mustContain: ['$9.99'], mustNotContain: [] }),
  shipTurn(DESTS[1], 'do you ship to Mexico?', false, 'yes', null),
  turn('Is Witch Hat Atelier volume 2 in stock?', false, { resolved: 'Is Witch Hat Atelier, Vol. 2 in stock?', entities: [product(byId('KB-SKU-0103')), vol(2)], intent: 'price_availability', answerKey: 'stock:KB-SKU-0103', mustContain: stockFacts(byId('KB-SKU-0103')).must, mustNotContain: [] }),
  turn('what is the return window?', false, { resolved: 'What is the return window?', entities: [], intent: 'return_policy', answerKey: 'returns', mustContain: ['30 days'], mustNotContain: [] }),
  shipTurn(DESTS[2], 'how long does delivery to the UK take?', false, 'time', null),
  turn('Who wrote The Name of the Wind?', false, { resolved: 'Who wrote The Name of the Wind?', entities: [product(byId('KB-SKU-0193'))], intent: 'product_question', answerKey: 'author:KB-SKU-0193', mustContain: [byId('KB-SKU-0193').author], mustNotContain: [] }),
  turn('how much is Nimona?', false, { resolved: 'How much is Nimona?', entities: [product(byId('KB-SKU-0159'))], intent: 'price_availability', answerKey: 'price:KB-SKU-0159', mustContain: ['$14.99'], mustNotContain: [] }),
  turn('What age rating does Chainsaw Man have?', false, { resolved: 'What age rating does Chainsaw Man have?', entities: [product(byId('KB-SKU-0038'))], intent: 'product_question', answerKey: 'age:chainsaw-man', mustContain: ['Mature'], mustNotContain: [] }),
];
greetQs.forEach((q, k) => {
  const thanks = turn(pick(THANKS), false, { resolved: 'Thanks!', entities: [], intent: 'greeting_chitchat', answerKey: 'thanks', mustContain: ["welcome"], mustNotContain: ['$'] });
  const turns = [turn(HELLO[k % HELLO.length], false, { resolved: 'Hello', entities: [], intent: 'greeting_chitchat', answerKey: 'hello', mustContain: ['Kitsune Books'], mustNotContain: [] }), q, thanks];
  if (k % 2 === 1) turns.push(turn(pick(BYE), false, { resolved: 'Goodbye', entities: [], intent: 'greeting_chitchat', answerKey: 'bye', mustContain: ['Happy reading|Thanks for stopping by'], mustNotContain: ['$'] }));
  add(`greeting-${k + 1}`, ['greeting_thanks'], turns);
});

// ---- product questions: author, then age rating by pronoun (cacheable: traps across sessions) ----
const AGE_Q = ["what's it rated?", 'is it ok for a 12 year old?', 'what age is it for?', 'is it suitable for teens?'];
const AUTHOR_Q = ['who wrote it?', "who's the author?", 'who is it by?'];
const rated = ['KB-SKU-0038', 'KB-SKU-0001', 'KB-SKU-0019', 'KB-SKU-0102', 'KB-SKU-0109', 'KB-SKU-0127', 'KB-SKU-0074', 'KB-SKU-0160', 'KB-SKU-0084', 'KB-SKU-0060'].map(byId);
const ageWord = ['what age is it for?', 'who wrote it?'];
rated.forEach((i, k) => {
  const s = seriesName(i.title);
  const other = rated[(k + 1) % rated.length];
  add(`trap-age-${s.replace(/[^a-z0-9]+/g, '-')}`, ['cache_trap', 'pronoun'], [
    turn(pick([`Tell me about ${i.title}`, `What is ${i.title} about?`, `I'm curious about ${i.title}`]), false, { resolved: `What is ${i.title} about?`, entities: [product(i), ...(i.volume ? [vol(i.volume)] : [])], intent: 'product_question', answerKey: `about:${i.id}`, mustContain: [i.title.split(/[,:(]/)[0].trim()], mustNotContain: [] }),
    turn(ageWord[0], true, { resolved: `What age rating does ${i.title} have?`, entities: [product(i), ...(i.volume ? [vol(i.volume)] : [])], intent: 'product_question', answerKey: `age:${s}`, mustContain: [i.ageRating], mustNotContain: other.ageRating === i.ageRating ? [] : [`rated ${other.ageRating}`] }),
  ], 'age');
});
rated.slice(0, 8).forEach((i, k) => {
  const s = seriesName(i.title);
  add(`trap-author-${s.replace(/[^a-z0-9]+/g, '-')}`, ['cache_trap', 'pronoun'], [
    turn(pick([`How much is ${i.title}?`, `Do you have ${i.title}?`]), false, { resolved: `How much is ${i.title}?`, entities: [product(i), ...(i.volume ? [vol(i.volume)] : [])], intent: 'price_availability', answerKey: `price:${i.id}`, mustContain: [price(i)], mustNotContain: [] }),
    turn(ageWord[1], true, { resolved: `Who wrote ${i.title}?`, entities: [product(i)], intent: 'product_question', answerKey: `author:${s}`, mustContain: [i.author], mustNotContain: [rated[(k + 1) % rated.length].author].filter((a) => a !== i.author) }),
    ...(k % 2 ? [turn(pick(AGE_Q), true, { resolved: `What age rating does ${i.title} have?`, entities: [product(i)], intent: 'product_question', answerKey: `age:${s}`, mustContain: [i.ageRating], mustNotContain: [] })] : []),
  ], 'author');
});
// Same words after different titles: "is it in stock?" (generated at the region, never cached, but traps a wrong resolution).
['KB-SKU-0167', 'KB-SKU-0176', 'KB-SKU-0181', 'KB-SKU-0029', 'KB-SKU-0174', 'KB-SKU-0109'].map(byId).forEach((i) => {
  const s = stockFacts(i);
  add(`trap-stock-${i.id.slice(-4)}`, ['cache_trap', 'pronoun'], [
    turn(`How much is ${i.title}?`, false, { resolved: `How much is ${i.title}?`, entities: [product(i), ...(i.volume ? [vol(i.volume)] : [])], intent: 'price_availability', answerKey: `price:${i.id}`, mustContain: [price(i)], mustNotContain: [] }),
    turn('is it in stock?', true, { resolved: `Is ${i.title} in stock?`, entities: [product(i), ...(i.volume ? [vol(i.volume)] : [])], intent: 'price_availability', answerKey: `stock:${i.id}`, mustContain: s.must, mustNotContain: s.not }),
  ], 'stock');
});

// ---- orders ----
const ORDERS = ['KB-48213', 'KB-10577', 'KB-39002', 'KB-77120', 'KB-25864', 'KB-61349'];
const ORDER_OPEN = [(o: string) => `Where is my order ${o}?`, (o: string) => `Can you check on order ${o}? It hasn't arrived.`, (o: string) => `my package ${o} still says label created`, (o: string) => `What's the status of ${o}?`];
const ORDER_NEXT: { q: string; resolved: string; must: string[] }[] = [
  { q: 'can I still cancel it?', resolved: 'Can I cancel order {o}?', must: [policy('2 hours') + '|Received|Processing'] },
  { q: 'can I change the address on it?', resolved: 'Can I change the shipping address of order {o}?', must: ['2 hours|Received|Processing|address'] },
  { q: 'how do I track it?', resolved: 'How do I track order {o}?', must: ['tracking|Order Lookup'] },
  { q: "it says delivered but I don't have it", resolved: 'Order {o} is marked delivered but I did not receive it', must: ['48 hours|carrier claim|neighbors'] },
];
ORDERS.forEach((o, k) => {
  const nx = ORDER_NEXT[k % ORDER_NEXT.length];
  const e = [{ kind: 'order' as const, value: o.toLowerCase() }];
  add(`order-${o.toLowerCase()}`, ['order', 'pronoun'], [
    turn(ORDER_OPEN[k % ORDER_OPEN.length](o), false, { resolved: `Where is order ${o}?`, entities: e, intent: 'order_status', answerKey: `order:${o}`, mustContain: ['tracking|Order Lookup|Account'], mustNotContain: [] }),
    turn(nx.q, true, { resolved: nx.resolved.replace('{o}', o), entities: e, intent: 'order_status', answerKey: `order:${o}:${k % ORDER_NEXT.length}`, mustContain: nx.must, mustNotContain: [] }),
    ...(k % 2 ? [turn(pick(THANKS), false, { resolved: 'Thanks!', entities: [], intent: 'greeting_chitchat', answerKey: 'thanks', mustContain: ['welcome'], mustNotContain: [] })] : []),
  ]);
});

const out = join(STORE, 'eval/dialogues.jsonl');
writeFileSync(out, dialogues.map((d) => JSON.stringify(d)).join('\n') + '\n');
const turns = dialogues.reduce((s, d) => s + d.turns.length, 0);
const byKind: Record<string, number> = {};
for (const d of dialogues) for (const k of d.kinds) byKind[k] = (byKind[k] ?? 0) + 1;
console.log(`${dialogues.length} dialogues, ${turns} turns → ${out}`);
console.log(byKind);
