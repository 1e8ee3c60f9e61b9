/**
 * Social messages — thanks, acknowledgements, greetings, goodbyes ("ok thx", "great, thank you so
 * much!", "hi there") — recognised from their words alone, so a short or abbreviated one the
 * classifier is unsure of is still answered from the domain's courtesy template (conversation.json
 * `courtesyIntent`) and never sent to the LLM. Anything with a word outside the courtesy lists, or
 * asked as a question, is not one of them.
 */
import { COURTESY_CORE, COURTESY_EXTRA, INTERJECTIONS, SMALL_TALK, SMALL_TALK_TAIL, WH_WORDS } from './english-cues.ts';
import { tokens } from './dialogue-entities.ts';

export function isCourtesyOnly(message: string): boolean {
  if (message.includes('?')) return false;
  const words = tokens(message);
  return words.length > 0 && words.length <= 12 && words.some((w) => COURTESY_CORE.has(w)) && words.every((w) => COURTESY_CORE.has(w) || COURTESY_EXTRA.has(w));
}

/** A question, with its mark or without: "who's it by", "ok how much", as shoppers type in a chat box. */
export function asksSomething(message: string): boolean {
  if (message.includes('?')) return true;
  const words = tokens(message);
  const first = words.find((w) => !INTERJECTIONS.has(w));
  return first !== undefined && WH_WORDS.has(first);
}

/**
 * The message without a courtesy sentence that opens it ("thanks! unrelated but do you take apple
 * pay" → "unrelated but do you take apple pay"): what it asks, for the classifier, which otherwise
 * reads the thanks. Unchanged when the opening is not only courtesy words, ends at no punctuation,
 * leaves fewer than three words, or leaves small talk ("hi there! how are you today?": the whole
 * message is a greeting, and the classifier reads it as one).
 */
export function withoutCourtesyLead(message: string): string {
  const m = /^([^!.,;?]*)[!.,;]+\s*(.*)$/s.exec(message);
  if (!m || !isCourtesyOnly(m[1]) || tokens(m[2]).length < 3 || isSmallTalk(m[2])) return message;
  return m[2];
}

/** Small talk alone: a SMALL_TALK phrase with only courtesy or SMALL_TALK_TAIL words after it. */
function isSmallTalk(text: string): boolean {
  const t = text.toLowerCase().replace(/[?!.,;]+/g, ' ').replace(/\s+/g, ' ').trim();
  const m = SMALL_TALK.exec(t);
  return !!m && tokens(t.slice(m[0].length)).every((w) => SMALL_TALK_TAIL.has(w) || COURTESY_CORE.has(w) || COURTESY_EXTRA.has(w));
}
