/**
 * A catalog title's answer from its fields: what the question asks (price, stock with its count,
 * preorder and release date, author, age rating, format and language, what it collects or holds)
 * by the domain's cue words; price and availability when it asks nothing in particular. A word of
 * the question that only the description holds ("furigana", "poster") brings the description's
 * sentence that holds it. One sentence per fact, the title said once. The sentences are the pack's
 * (answers.json `catalogSentences`); this file only chooses which and fills in the item's values.
 */
import type { CatalogItem, CatalogText } from '../../../../shared/domain/store-kb.ts';
import type { AnswersFile, CatalogField } from './answer-data.ts';
import { splitSentences } from '../guardrails.ts';
import { contentTokens, normalize } from './text.ts';

export type CatalogSentences = AnswersFile['catalogSentences'];

/** An unexplained word shorter than this (as stemmed: at most 5 letters) is taken for a typo or an interjection, not a question. */
const ASKING_WORD_LETTERS = 5;

/**
 * The fields a question asks for, by the domain's cue phrases (a cue with punctuation, such as "by?", is matched as written;
 * one that ends in a question mark also ends a question typed without it: "who's it by").
 */
export function askedFields(question: string, cues: AnswersFile['fieldCues']): CatalogField[] {
  const q = ` ${normalize(question)} `;
  const raw = question.toLowerCase();
  const unmarked = !raw.includes('?');
  const asked = (c: string) =>
    /[^\p{L}\p{N} ]/u.test(c) ? raw.includes(c) || (unmarked && c.endsWith('?') && q.endsWith(` ${normalize(c.slice(0, -1))} `)) : q.includes(` ${c} `);
  return (Object.keys(cues) as CatalogField[]).filter((f) => cues[f]?.some(asked));
}

const sentencesOf = (s: string) => {
  const all = splitSentences(s).map((x) => x.trim()).filter(Boolean);
  return all.length ? all : [s];
};

/**
 * The description's sentence that holds most of `words` (the first on a tie; the first when none
 * holds any): "who did the art for one-punch man" is answered by "Story by ONE, art by Yusuke
 * Murata.", not by the plot's opening line.
 */
function describing(description: string, words: readonly string[]): string {
  const all = sentencesOf(description);
  let best = all[0];
  let most = 0;
  for (const s of all) {
    const own = new Set(contentTokens(s));
    const n = words.filter((w) => own.has(w)).length;
    if (n > most) (best = s), (most = n);
  }
  return best;
}

/**
 * A template filled from `values`: `{name}` the value, `{a:name}` the value after "a" or "an",
 * `{name|one|other}` the word for a count of one or any other (a number value).
 */
export function fillSentence(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(a:)?([A-Za-z]+)(?:\|([^|}]*)\|([^}]*))?\}/g, (whole, a: string | undefined, name: string, one?: string, other?: string) => {
    const v = values[name];
    if (v === undefined) return whole;
    if (one !== undefined) return v === 1 ? one : (other ?? '');
    return a ? `${/^[aeiou]/i.test(String(v)) ? 'an' : 'a'} ${v}` : String(v);
  });
}

/** The sentence that says an item's price and whether it can be had: preorder, a format's own (an ebook's download), in stock, out of stock. */
function availability(item: CatalogItem, s: CatalogSentences): string {
  if (item.preorder) return item.releaseDate ? s.preorder : s.preorderUndated;
  return s.formats?.[item.format] ?? (item.stock > 0 ? s.inStock : s.outOfStock);
}

/**
 * @param unexplained the question's words that neither the record nor a cue explains
 *   (StoreAnswers.unexplainedWords): a question that asks no field but such a word ("is it in
 *   colour?", "is it a standalone?") asks what only its prose may say: the description comes whole
 *   (a word of ASKING_WORD_LETTERS or more: "hw much", "wen is it out", "haha" are typos and laughs).
 */
export function catalogAnswer(item: CatalogItem, question: string, fields: CatalogField[], s: CatalogSentences, words: CatalogText, unexplained: readonly string[] = []): string[] {
  // Asking only for a format or language ("is there an ebook?", "the Japanese edition?") asks
  // whether that version is to be had: its price and availability come with it.
  const variantOnly = fields.length > 0 && fields.every((f) => f === 'format' || f === 'language');
  const want = new Set<CatalogField>(fields.length ? (variantOnly ? [...fields, 'price', 'stock'] : fields) : ['price', 'stock']);
  const values = {
    title: item.title,
    type: words.typeLabel(item.type),
    price: words.price(item.price),
    stock: item.stock,
    releaseDate: item.releaseDate ? words.date(item.releaseDate) : '',
    author: item.author,
    ageRating: item.ageRating,
    format: item.format,
    language: item.language,
    description: sentencesOf(item.description)[0],
    genres: item.genre.join(', '),
  };
  const out: string[] = [];
  // The title is the subject of the first sentence; `s.again` ("It") of the others.
  const say = (template: string) => out.push(fillSentence(template, { ...values, subject: out.length ? s.again : item.title }));
  // The words of the question that are not the title's say which of the description's sentences it asks about.
  const titleWords = new Set(contentTokens(item.title));
  const asked = contentTokens(question).filter((w) => !titleWords.has(w));
  if (want.has('contents')) {
    say(s.contents);
    // …and a later sentence that holds what the question asks beyond the opening line ("is it the whole story?": "The complete 12-issue story in one paperback.")
    const more = describing(item.description, asked.filter((w) => !contentTokens(values.description).includes(w)));
    if (more !== values.description && asked.some((w) => contentTokens(more).includes(w))) out.push(more);
  }
  if (want.has('price') || want.has('stock') || want.has('release') || want.has('restock')) say(availability(item, s));
  // "when will it be back?" of a title out of stock: when such titles come back, by the store's rule
  if (want.has('restock') && s.restock && item.stock <= 0 && !item.preorder && !s.formats?.[item.format]) say(s.restock);
  if (want.has('author')) say(s.author);
  if (want.has('age')) say(s.age);
  if (want.has('format') || want.has('language')) say(s.version);
  if (want.has('genre') && s.genre) say(s.genre);
  const said = new Set(contentTokens(out.join(' ')));
  const describedOnly = asked.filter((w) => !said.has(w) && contentTokens(item.description).includes(w));
  if (!want.has('contents') && describedOnly.length) out.push(fillSentence(s.describedOnly, { ...values, description: describing(item.description, describedOnly) }));
  else if (!fields.length && unexplained.some((w) => w.length >= ASKING_WORD_LETTERS)) out.push(fillSentence(s.describedOnly, { ...values, description: item.description }));
  return out;
}
