/**
 * A catalog title's answer from its fields: what the question asks (price, stock with its count,
 * preorder and release date, author, age rating, format and language, what it collects or holds)
 * by the domain's cue words; price and availability when it asks nothing in particular. A word of
 * the question that only the description holds ("furigana", "poster") brings the description's
 * first sentence. One sentence per fact, the title said once.
 */
import type { CatalogItem } from '../../../../shared/domain/store-kb.ts';
import type { AnswersFile, CatalogField } from './answer-data.ts';
import { contentTokens, longDate, normalize } from './text.ts';

/** The fields a question asks for, by the domain's cue phrases (a cue with punctuation, such as "by?", is matched as written). */
export function askedFields(question: string, cues: AnswersFile['fieldCues']): CatalogField[] {
  const q = ` ${normalize(question)} `;
  const raw = question.toLowerCase();
  return (Object.keys(cues) as CatalogField[]).filter((f) => cues[f].some((c) => (/[^\p{L}\p{N} ]/u.test(c) ? raw.includes(c) : q.includes(` ${c} `))));
}

const money = (n: number) => `$${n.toFixed(2)}`;
const article = (w: string) => (/^[aeiou]/i.test(w) ? 'an' : 'a');
const firstSentence = (s: string) => /^.*?[.!?](?=\s|$)/.exec(s)?.[0] ?? s;

function availability(item: CatalogItem): string {
  if (item.preorder) return `is available for preorder at ${money(item.priceUsd)}${item.releaseDate ? ` and releases on ${longDate(item.releaseDate)}` : ''}`;
  if (item.format === 'ebook') return `is ${money(item.priceUsd)} as an ebook, available now to download`;
  if (item.stock > 0) return `is ${money(item.priceUsd)} and in stock (${item.stock} ${item.stock === 1 ? 'copy' : 'copies'})`;
  return `is ${money(item.priceUsd)} and currently out of stock`;
}

export function catalogAnswer(item: CatalogItem, question: string, fields: CatalogField[]): string[] {
  // Asking only for a format or language ("is there an ebook?", "the Japanese edition?") asks
  // whether that version is to be had: its price and availability come with it.
  const variantOnly = fields.length > 0 && fields.every((f) => f === 'format' || f === 'language');
  const want = new Set<CatalogField>(fields.length ? (variantOnly ? [...fields, 'price', 'stock'] : fields) : ['price', 'stock']);
  const t = item.title;
  const out: string[] = [];
  let named = false;
  const subject = () => (named ? 'It' : ((named = true), t));
  if (want.has('contents')) out.push(`${subject()}: ${firstSentence(item.description)}`);
  if (want.has('price') || want.has('stock') || want.has('release')) out.push(`${subject()} ${availability(item)}.`);
  if (want.has('author')) out.push(`${subject()} is by ${item.author}.`);
  if (want.has('age')) out.push(`${subject()} is rated ${item.ageRating}.`);
  if (want.has('format') || want.has('language')) out.push(`${subject()} is ${article(item.format)} ${item.format} edition in ${item.language}.`);
  const said = new Set(contentTokens(out.join(' ')));
  const describedOnly = contentTokens(question).filter((w) => !said.has(w) && contentTokens(item.description).includes(w) && !contentTokens(item.title).includes(w));
  if (!want.has('contents') && describedOnly.length) out.push(`From its description: ${firstSentence(item.description)}`);
  return out;
}
