/** Word handling shared by the structured answers: normalised tokens and cue phrases. */

const STOP = new Set(
  [
    'a an the and or of to in on at for with by from is are was were be do does did can could would should will i you we my your our it its this that what which who how me us any some there please now then just still really right ok okay thanks hi hey get got want need know tell let like so if am has have had not no much many mean means use using used one two about than',
    // How people type in a chat box: contractions without the apostrophe ("whats", "dont"; "what's"
    // loses its "'s" in normalize) and texting shorthand ("ur", "u", "pls"): the same function words.
    'whats wheres hows whos whens thats theres im ive youre dont doesnt didnt cant wont isnt arent wasnt ur u r ya pls plz thx',
    // and a contraction's tail with the apostrophe ("i'm" → "i m", "don't" → "don t")
    'm ll ve re d t',
    // A currency's name beside an amount: "500 dollars" asks what "$500" says.
    'dollar dollars usd bucks',
    // Words that stand in for what is asked without saying it ("will somebody have to…", "when do you think…").
    'but come comes say something anything anywhere somebody someone think them those these',
  ].join(' ').split(' '),
);

/** Lower case, accents and punctuation removed ("Re:ZERO" → "re zero", "Haikyu!!" → "haikyu"). */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .replace(/[^\p{L}\p{N}$]+/gu, ' ')
    .trim();
}

export const tokens = (text: string): string[] => normalize(text).split(' ').filter(Boolean);

/** Tokens that carry meaning (no function words), with a plural "s" dropped and an amount's "$" ("$500" is "500"). */
export function contentTokens(text: string): string[] {
  return tokens(text)
    .filter((t) => !STOP.has(t))
    .map((t) => stem(t.replace(/^\$(?=\d)/, '')));
}

/**
 * Past forms no suffix rule reaches, as their verb ("kept" is what "keep" asks: "are kept for 90
 * days"; "held by customs" answers "will customs hold it"). English, like STOP: a word list, not
 * the store's data. Forms that are also nouns or cues of their own ("left", "sold", "found") are
 * not in it.
 */
const IRREGULAR: Record<string, string> = {
  kept: 'keep', paid: 'pay', sent: 'send', bought: 'buy', held: 'hold', took: 'take', taken: 'take', gave: 'give', given: 'give',
  lost: 'lose', brought: 'bring', told: 'tell', chose: 'choose', chosen: 'choose', broke: 'break', broken: 'break', spent: 'spend',
};

/** A crude stem: common suffixes dropped, then long words cut to 5 letters ("shipping" ~ "ships", "used" ~ "use", "statuses" ~ "status"). */
export function stem(t: string): string {
  if (/\d/.test(t)) return t;
  let w = IRREGULAR[t] ?? t;
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 3 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith('es') && !w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length >= 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && w.at(-1) === w.at(-2) && !/[sl]/.test(w.at(-1)!)) w = w.slice(0, -1);
  return w.length > 5 ? w.slice(0, 5) : w;
}

/**
 * The words a text negates with "un-" ("unread" → "read", "unclaimed" → "claim"), stemmed: a
 * sentence that says "new and unread" answers a question about a book already read. English; the
 * base must be four letters or more ("under", "until" are no negations).
 */
export function negatedBases(text: string): string[] {
  return tokens(text).flatMap((t) => (/^un[a-z]{4,}$/.test(t) ? [stem(t.slice(2))] : []));
}

/** Whether the normalised text holds the phrase as whole words. */
export function hasPhrase(normText: string, phrase: string): boolean {
  const p = normalize(phrase);
  return p.length > 0 && ` ${normText} `.includes(` ${p} `);
}

/** Items as a sentence says them: "1", "1 and 2", "1, 2 and 3". */
export function spokenList(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? '');
}
