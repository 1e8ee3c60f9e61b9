/**
 * The English words that make a message lean on earlier turns: pronouns ("it", "that one",
 * "there"), ellipsis openers ("and", "what about"), question fragments ("how much?") and the
 * ordinal and number words of volumes ("the first one", "volume two"). Language rules only: no
 * store term, title, place, intent or item noun ("book", "manga": conversation.json `itemNouns`)
 * belongs here (those are the domain's data). Shopping and service nouns any business has
 * ("order", "account", "payment", "item", "copy") and the words that number a series' parts
 * ("vol 3", "book 2", "part 1") are English, not one domain's.
 */

/** Openers of an elliptical follow-up: "and volume 2?", "what about the UK?". Longest first. */
export const OPENERS: string[][] = [
  'and what about', 'and how about', 'what about', 'how about', 'what if', 'same for', 'same with', 'same question for',
  'and for', 'and in', 'and the', 'and', 'also', 'or', 'ok and', 'okay and', 'then', 'and then',
  // chat shorthand for "and" ("n the box set?"), only as an opener
  'n', 'n the', 'ok n', 'an the',
]
  .map((s) => s.split(' '))
  .sort((a, b) => b.length - a.length);

/** Courtesy words a follow-up may start with before its opener ("thanks, and One Piece?"). */
export const INTERJECTIONS = new Set(['thanks', 'thank', 'you', 'thx', 'ty', 'ta', 'cheers', 'lovely', 'brill', 'merci', 'gracias', 'danke', 'ok', 'okay', 'great', 'cool', 'nice', 'alright', 'perfect', 'hmm', 'oh', 'ah', 'right', 'sure', 'awesome', 'yes', 'yep', 'yeah']);

/**
 * Words that take back what the shopper just asked, before the slot that replaces it ("sorry, I
 * meant vol 2", "actually make that the paperback", "no, the deluxe one", "scratch that, english").
 * A message of these and entities only re-asks the previous question with them (an ellipsis).
 */
export const CORRECTIONS: string[][] = [
  'sorry', 'sry', 'soz', 'oops', 'whoops', 'my bad', 'no', 'nope', 'wait', 'no wait', 'actually', 'i meant', 'i mean', 'meant', 'i meant to say',
  'make that', 'make it', 'scratch that', 'correction', 'hmm', 'oh', 'err', 'um',
  'nvm', 'never mind', 'nevermind', 'scrap that', 'forget that', 'changed my mind', 'on second thought', 'on second thoughts',
]
  .map((s) => s.split(' '))
  .sort((a, b) => b.length - a.length);

/**
 * A message made only of these words is social: thanks, an acknowledgement, a greeting or a
 * goodbye ("ok thx", "great, thank you so much!", "hi there"). It needs at least one of
 * COURTESY_CORE; the rest may only soften or extend it. A question ("ok, is that all?") is never only social.
 */
export const COURTESY_CORE = new Set([
  'thanks', 'thank', 'thx', 'thnx', 'thanx', 'thks', 'tx', 'ty', 'tysm', 'tyvm', 'cheers', 'ta', 'merci', 'danke', 'gracias', 'arigato',
  'ok', 'okay', 'k', 'kk', 'okey', 'okie', 'alright', 'allright', 'gotcha', 'noted', 'understood', 'cool', 'great', 'perfect', 'awesome', 'nice', 'lovely', 'brilliant', 'brill', 'excellent', 'wonderful', 'super', 'fab', 'neat',
  'hi', 'hello', 'hey', 'heya', 'hiya', 'yo', 'howdy', 'bye', 'goodbye', 'cya', 'later', 'ttyl',
]);
export const COURTESY_EXTRA = new Set([
  ...INTERJECTIONS, 'you', 'u', 'so', 'very', 'much', 'a', 'lot', 'lots', 'bunch', 'tons', 'loads', 'million', 'again', 'all', 'for', 'the', 'your', 'help', 'helping', 'helpful', 'info',
  'that', 'thats', 's', 'was', 'is', 'it', 'got', 'sounds', 'good', 'fine', 'will', 'do', 'appreciate', 'appreciated', 'really', 'there', 'then', 'see', 'ya', 'now', 'have', 'day',
  'yes', 'yep', 'yeah', 'worries', 'problem', 'kind', 'of', 'guys', 'everyone', 'folks', 'mate', 'dear', 'morning', 'evening', 'afternoon', 'night',
  'haha', 'hahaha', 'lol', 'lmao', 'hehe', 'ur', 'youre', 'best', 'star', 'legend',
]);

/**
 * Small talk that follows a greeting ("hi there! how are you today?"): social too, not a question
 * for the store. A courtesy lead is kept before it (the whole message is a greeting), and words of
 * COURTESY_EXTRA or SMALL_TALK_TAIL around it do not make it a question.
 */
export const SMALL_TALK = /^(?:and )?(?:how (?:are|r) (?:you|u|ya|things)|how(?:'s| is|s) (?:it going|everything|things|life|(?:your|ur) day)|how (?:have|ve) you been|how do you do|what'?s up|wh?at'?s new|nice to meet (?:you|u)|hope (?:you|u)(?:'re| are| r)? (?:well|good|ok|okay))\b/;
export const SMALL_TALK_TAIL = new Set(['today', 'tonight', 'doing', 'going', 'guys', 'there', 'mate', 'friend', 'this', 'fine', 'well', 'good', 'all', 'on', 'with', 'you', 'u']);

/** Words that refer back to a product named earlier. */
export const PRODUCT_PRONOUNS = new Set(['it', 'its', 'they', 'them', 'those', 'these', 'that', 'this']);
/** Of these, the ones that mean every title named together ("what ages are they for" after two titles): all of them, not a guess at one. */
export const PLURAL_PRONOUNS = new Set(['they', 'them', 'those', 'these']);
/** "one" is a pronoun when a determiner or a modifier stands before it ("the Japanese one"). */
export const ONE_DETERMINERS = new Set(['the', 'this', 'that', 'which', 'other', 'another', 'same', 'cheaper', 'cheapest', 'bigger', 'newer', 'older', 'new', 'old', 'latest', 'second', 'big', 'small', 'nicer']);
/** "that"/"this" are pronouns only near these words or the domain's item nouns (else they are conjunctions or relatives); after an auxiliary they are a question's subject ("would that be ok for a 12 year old?"). */
export const DEMONSTRATIVE_NOUNS = new Set(['one', 'ones', 'set', 'item', 'copy']);
export const DEMONSTRATIVE_BEFORE = new Set(['is', 'does', 'would', 'will', 'could', 'can', 'should', 'might', 'was', 'buy', 'order', 'get', 'have', 'return', 'about', 'ship', 'of', 'for', 'with', 'like', 'want', 'reserve', 'preorder', 'need', 'take']);
/** Nouns that, said earlier in the same message, are what its "it" points at ("my order … is it late"); the domain's item nouns too. */
export const ANTECEDENT_NOUNS = new Set([
  'order', 'orders', 'account', 'payment', 'package', 'parcel', 'copy', 'code', 'card', 'set', 'website', 'site', 'page', 'pages',
  'box', 'refund', 'item', 'items', 'label', 'number', 'email', 'app', 'cart', 'checkout', 'link', 'window',
]);
/** Determiners that make an antecedent noun a thing of this message ("my order … is it late", "a book … is it"); "order" after "I"/"can" is a verb. */
export const ANTECEDENT_DETERMINERS = new Set(['my', 'our', 'your', 'ur', 'yr', 'his', 'her', 'their', 'a', 'an', 'this', 'that', 'the', 'one', 'another', 'each', 'every', 'some', 'any']);
/** Before a store term, words that make the term a verb whose object is the next "it" ("can I preorder it", "want to preorder it"). */
export const VERB_SUBJECTS = new Set(['i', 'we', 'you', 'to', 'can', 'could', 'will', 'would', 'please', 'pls']);
/** Words before "the <noun>" that make it a return to something said earlier ("back to the book"). */
export const RETURN_CUES: string[][] = ['back to', 'going back to', 'about the', 'regarding the'].map((s) => s.split(' '));
/** "is there" / "do you have" + a single edition, format or language with no series: asked of the product in talk ("is there an ebook?"). */
export const EXISTENTIAL_ASKS: string[][] = ['is there', 'is there also', 'do you have', 'do they have', 'does it come in', 'does it have', 'got', 'you got', 'have you got'].map((s) => s.split(' '));
/** Chat forms of an existential ask, as the rewritten question says them ("got the japanese version?" → "do you have …"). */
export const ASK_IN_FULL: Record<string, string> = { got: 'do you have', 'you got': 'do you have', 'have you got': 'do you have' };
/** What may stand between an existential ask and its slot: "is there an ebook?", "got the japanese version?" (the one of the thing in talk). */
export const SLOT_DETERMINERS = new Set(['a', 'an', 'the']);

/** Words that may stand between an elliptical follow-up's entities ("the Japanese one", "in hardcover?"). */
export const ELLIPSIS_FILLERS = new Set(['the', 'a', 'an', 'please', 'pls', 'ok', 'okay', 'then', 'too', 'also', 'one', 'ones', 'in', 'for', 'to', 'of', 'about', 'same', 'instead', 'version', 'edition', 'copy', 'any', 'so', 'hmm', 'um', 'oh', 'well', 'sorry', 'sry', 'oops', 'as']);

/** "it" followed by these is a dummy subject ("is it possible to…", "it depends"). */
export const DUMMY_IT_NEXT = new Set(['possible', 'ok', 'okay', 'true', 'safe', 'necessary', 'free', 'worth', 'allowed', 'depends', 'raining', 'going', 'late', 'too', 'fine', 'normal', 'common', 'hard', 'easy', 'better']);
/** "there" is a place only outside these ("is there", "there are", "hi there"). */
export const THERE_EXISTENTIAL_BEFORE = new Set(['is', 'are', 'was', 'were', 'hi', 'hello', 'hey', 'over', 'anybody', 'anyone', 'somebody', 'someone']);
export const THERE_EXISTENTIAL_AFTER = new Set(['is', 'are', 'was', 'were', 's', 'will', 'be', 'any', 'a', 'an', 'some', 'no', 'might', 'may', 'must', 'should', 'could', 'would', 'seems', 'seem', 'has', 'have', 'had', 'used']);
export const PLACE_PRONOUN = 'there';

/** Words that carry no content of their own in a short follow-up. */
export const FILLERS = new Set([
  'the', 'a', 'an', 'please', 'pls', 'ok', 'okay', 'then', 'too', 'also', 'one', 'ones', 'in', 'for', 'to', 'of', 'about', 'what', 'how',
  'is', 'are', 'it', 'that', 'this', 'and', 'or', 'same', 'instead', 'version', 'edition', 'copy', 'any', 'there', 'with', 'so', 'hmm', 'um', 'oh', 'well',
  'sorry', 'sry', 'oops', 'as',
]);

/** Cues of a question fragment that names no topic of its own: "how much?", "in stock?", "when?". */
export const FRAGMENT_CUES: string[][] = [
  'how much', 'how many', 'price', 'prices', 'cost', 'costs', 'in stock', 'stock', 'available', 'availability', 'how long', 'how soon', 'when',
  'arrive', 'arrives', 'delivery', 'deliver', 'ship', 'shipping', 'preorder', 'release', 'released', 'out yet', 'cheaper', 'discount', 'sale',
  'formats', 'editions', 'languages', 'age rating', 'how old', 'suitable', 'ages', 'pages', 'where', 'which', 'who', 'tracking', 'track',
  // what things named together come to: "together?", "what's that come to altogether", "how much for both"
  'together', 'altogether', 'in total', 'total', 'combined', 'both', 'come to', 'comes to',
  // a price asked of what was offered: "anything cheaper?", "how about under 10 bucks", "less expensive?"
  'less expensive', 'under', 'below', 'budget',
].map((s) => s.split(' '));

/** The only words a fragment may have: fillers, the cues, auxiliaries and pronouns. */
export const FRAGMENT_WORDS = new Set([
  ...FILLERS, ...FRAGMENT_CUES.flat(),
  'whats', 'whos', 'hows', 'wheres', 'thx', 'ty', 'two', 'all', 'come', 'comes', 'anything', 'something', 'else', 'got', 'have', 'bucks', 'dollars', 'lower', 'priced',
  'do', 'does', 'did', 'will', 'would', 'can', 'could', 'be', 'was', 'take', 'takes', 'get', 's', 'time', 'times', 'day', 'days', 'week', 'weeks', 'business', 'working', 'date', 'estimate', 'estimated', 'expected', 'fee', 'fees', 'it', 'they', 'them', 'i', 'we', 'you', 'much', 'many', 'long', 'soon', 'usually', 'roughly', 'about', 'approximately', 'now', 'still', 'yet',
]);

/** Words that make a message a question even when it has no question mark ("who's it by", "how much"). */
export const WH_WORDS = new Set(['who', 'whos', 'whose', 'what', 'whats', 'which', 'when', 'where', 'wheres', 'why', 'how', 'hows']);

/** Words that choose, after an opener: "what if i pay for the fast one", "how about if we go with ups" ask the last question of what is chosen. */
export const CHOICE_WORDS = new Set(['i', 'we', 'if', 'pay', 'paid', 'paying', 'go', 'went', 'going', 'with', 'for', 'pick', 'choose', 'chose', 'use', 'prefer', 'opt', 'want', 'wanted', 'took', 'take', 'get', 'instead', 'the', 'a', 'an']);

/** What may follow a wh-word in a two- or three-word question about a store term ("what's express", "what is express"). */
export const WH_TAILS = new Set(['is', 's', 'about', 'the']);

/**
 * Prepositions that make a pronoun the complement of the noun just before it ("the tracking number
 * for it", "the price of it"), or the place that noun goes ("add another book to it", "a gift note
 * in it", "a bookmark with it"): in both the noun is not what the pronoun means.
 */
export const COMPLEMENT_PREPOSITIONS = new Set(['for', 'of', 'on', 'to', 'into', 'onto', 'in', 'from', 'with']);

/** Words a yes/no question starts with ("is it hardcover", "does it come in japanese"). */
export const YES_NO_STARTS = new Set(['is', 'are', 'does', 'do', 'was', 'were', 'can', 'could', 'will', 'would', 'has', 'have']);
/** Question starters: an opener followed by one of these brings its own predicate ("and do you ship to Japan?"). */
export const QUESTION_STARTS = new Set(['do', 'does', 'can', 'could', 'is', 'are', 'will', 'would', 'how', 'what', 'when', 'where', 'which', 'who', 'why', 'should', 'may', 'i', 'my', 'did', 'was', 'were', 'whats', 'whos', 'hows', 'wheres']);

/** Words before a number that make it a volume: "vol 3", "book 2", "part 1", "#4". */
export const VOLUME_WORDS = new Set(['vol', 'vols', 'volume', 'volumes', 'v', 'book', 'bk', 'part', 'pt', 'no', 'tome', 'installment', 'issue']);
/** Words after an ordinal that make it a volume: "the first one", "the second volume". */
export const ORDINAL_HEADS = new Set(['one', 'volume', 'vol', 'book', 'part', 'installment', 'issue']);
export const RELATIVE_VOLUME: Record<string, string> = { next: '+1', following: '+1', previous: '-1', prior: '-1', preceding: '-1' };

/** Positions in a list that are not ordinals ("the last one", "the latter"): 1-based, -1 the last. */
export const LIST_POSITIONS: Record<string, number> = { last: -1, latter: -1, final: -1, former: 1 };

/** Picks from a list by price ("the cheaper one", "the more expensive one"): the words, and which end of the prices they mean. */
export const PRICE_PICKS: { words: string[]; end: 'low' | 'high' }[] = [
  ...['cheaper', 'cheapest', 'less expensive', 'least expensive', 'lower priced', 'cheap'].map((p) => ({ words: p.split(' '), end: 'low' as const })),
  ...['pricier', 'priciest', 'more expensive', 'most expensive', 'dearer', 'expensive'].map((p) => ({ words: p.split(' '), end: 'high' as const })),
];

const NUMBER_WORDS = 'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'.split(' ');
const ORDINAL_WORDS = 'zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth'.split(' ');

/** "3", "three" → 3; anything else → null. */
export function cardinal(word: string | undefined): number | null {
  if (!word) return null;
  if (/^\d{1,4}$/.test(word)) return Number(word);
  const i = NUMBER_WORDS.indexOf(word);
  return i > 0 ? i : null;
}

/** "first", "1st", "3rd" → 1, 1, 3; anything else → null. */
export function ordinal(word: string | undefined): number | null {
  if (!word) return null;
  const m = /^(\d{1,4})(?:st|nd|rd|th)$/.exec(word);
  if (m) return Number(m[1]);
  const i = ORDINAL_WORDS.indexOf(word);
  return i > 0 ? i : null;
}

/** Words just before a number that make it an age, not a volume ("he's turning 11", "aged 9"). */
export const AGE_BEFORE = new Set(['turning', 'turns', 'turned', 'turn', 'aged', 'age', 'ages']);
/** Words just after a number that make it an age ("11 years old", "9 yo"). */
export const AGE_AFTER = new Set(['year', 'years', 'yr', 'yrs', 'yo']);
