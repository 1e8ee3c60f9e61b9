/**
 * When a catalog name made of one everyday word ("Smile", "Monster", "Tomorrow", "March") is said
 * as the name and not in its ordinary meaning ("that made me smile", "will it come tomorrow"). A
 * name of several words is said as a phrase, which is enough of the title; a name with a word
 * English rarely uses ("frieren", "berserk") is the title wherever it stands. Which words are
 * everyday is the pack's data (conversation.json `everydayWords`, written by
 * scripts/everyday-words.ts from English word frequencies). English cues only; refuses nothing.
 */
import { VOLUME_WORDS } from '../conversation/english-cues.ts';
import { baseGazetteer } from './entities.ts';

/** Function words a name may hold besides its content ("the", "of"): they identify nothing. */
const FUNCTION_WORDS = new Set(['the', 'a', 'an', 'of', 'and', 'to', 'in', 'on', 'for', 'my', 'x']);

/** Words before a title that ask about a thing by its name ("tell me about bone", "do you sell march", "who wrote monster"). */
const NAME_BEFORE = new Set(['about', 'have', 'sell', 'sells', 'carry', 'stock', 'buy', 'order', 'preorder', 'read', 'reading', 'called', 'titled', 'recommend', 'newest', 'latest', 'wrote', 'drew']);

/** Words after a title that say it is one ("smile by raina telgemeier", "bone vol 1", "saga volume 2", "smile price?"). */
const NAME_AFTER = new Set([...VOLUME_WORDS, 'by', 'price', 'prices', 'cost', 'costs', 'graphic']);

/** A question judging a thing names it: "is smile good for a 9 year old", "is bone any good", "is monster suitable for teens". */
const JUDGING_BEFORE = new Set(['is', 'was', 'isnt']);
const JUDGED_AFTER = new Set(['good', 'ok', 'okay', 'suitable', 'appropriate', 'worth', 'any', 'rated', 'fine', 'scary', 'violent']);

/** English function words of three letters or more: a slip that makes one ("the last with") is the word, not a misspelt title. */
const LONGER_FUNCTION_WORDS = new Set('the and with will what when where which that this than then them they their there here were have from your just some into onto over also been does'.split(' '));

/** Whether a word is one of English's function words ("with", "that", "the"). */
export const isFunctionWord = (w: string): boolean => FUNCTION_WORDS.has(w) || LONGER_FUNCTION_WORDS.has(w);

/** Whether a name (its words, lower case) is one everyday word, with function words at most: it needs a cue to be the title. */
export function isEverydayName(words: readonly string[], everyday: ReadonlySet<string>): boolean {
  const content = words.filter((w) => !FUNCTION_WORDS.has(w));
  return content.length === 1 && everyday.has(content[0]);
}

/**
 * Whether the words [start, end) of a message (lower case; `cased`, the same words as written,
 * when known) are said as a name: the whole message; a word before that asks for a thing by name;
 * a question judging it ("is smile good for…", not of a calendar word); a word after that says it is a title (a volume, "by" its author, its price), a number, or the
 * domain's item noun, edition or format word (`nameAfter`); or written with a capital inside the
 * message (calendar words, "March", are capitalised anyway and tell nothing).
 */
export function saidAsName(
  words: readonly string[],
  start: number,
  end: number,
  opts: { cased?: readonly string[]; nameAfter?: (i: number) => boolean } = {},
): boolean {
  if (start === 0 && end === words.length) return true;
  if (NAME_BEFORE.has(words[start - 1] ?? '')) return true;
  const next = words[end] ?? '';
  // the title's own next words as written: "Monster: The Perfect Edition"
  const after = next === 'the' ? end + 1 : end;
  if (NAME_AFTER.has(next) || /^\d+$/.test(next) || (next === 'in' && words[end + 1] === 'stock') || opts.nameAfter?.(after)) return true;
  // (not a calendar word: "is tomorrow ok for delivery" asks about the day)
  if (JUDGING_BEFORE.has(words[start - 1] ?? '') && JUDGED_AFTER.has(next) && !calendarWords().has(words[start])) return true;
  const cased = opts.cased?.[start];
  return start > 0 && !!cased && /^\p{Lu}/u.test(cased) && !calendarWords().has(words[start]) && opts.cased!.length === words.length;
}

let calendar: Set<string> | undefined;
/** The built-in calendar's words (entities.ts: months, days, "tomorrow"), built on first use. */
function calendarWords(): Set<string> {
  calendar ??= new Set(Object.values(baseGazetteer().date ?? {}).flat().flatMap((p) => p.split(' ')));
  return calendar;
}
