/**
 * Turns any user text into a safe full-text query. Only runs of letters and digits survive, so
 * quotes, `*`, `:`, `-`, `^`, parentheses and keywords such as NEAR/AND/OR/NOT can never be
 * query syntax. Terms are OR-ed (ranking does the rest): chat questions rarely contain every word
 * of the passage that answers them.
 */

/** Function words dropped from queries (PostgreSQL's `english` configuration drops its own). */
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can could
did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourself yourselves s t d ll
m re ve don doesn isn aren wasn weren didn hasn haven hadn won wouldn shouldn couldn can't please hi hello`.split(/\s+/),
);

export const MAX_QUERY_TERMS = 32;

/** Lowercased distinct terms of a query, stopwords removed unless nothing else is left. */
export function queryTerms(input: string, max = MAX_QUERY_TERMS): string[] {
  const all = [...new Set(input.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const content = all.filter((t) => !STOPWORDS.has(t));
  return (content.length ? content : all).slice(0, max);
}

/** An FTS5 MATCH expression (`"t1" OR "t2" …`), or null when the text has no searchable term. */
export function fts5MatchQuery(input: string): string | null {
  const terms = queryTerms(input);
  return terms.length ? terms.map((t) => `"${t}"`).join(' OR ') : null;
}

/** Scripts written without spaces between words: their runs are searched by substring, not as words. */
const UNSEGMENTED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * Substring terms for the runs of a query in unsegmented scripts (see UNSEGMENTED): every
 * character trigram of a run of three or more characters (`trigrams`), and runs of exactly two
 * characters whole (`pairs`, too short for a trigram index, matched by a scan). Empty when the
 * query has no such run. Both dialects rank a chunk by how many of the terms it contains.
 */
export function ngramTerms(input: string, max = MAX_QUERY_TERMS): { trigrams: string[]; pairs: string[] } {
  const trigrams = new Set<string>();
  const pairs = new Set<string>();
  for (const run of input.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (!UNSEGMENTED.test(run)) continue;
    const chars = [...run];
    if (chars.length === 2) pairs.add(run);
    for (let i = 0; i + 3 <= chars.length && trigrams.size < max; i++) trigrams.add(chars.slice(i, i + 3).join(''));
  }
  return { trigrams: [...trigrams], pairs: [...pairs].slice(0, max) };
}

/** Appends `extra` hits after `first`, skipping chunks already listed, up to `k`. */
export function mergeHits<T extends { chunkId: number }>(first: T[], extra: T[], k: number): T[] {
  const seen = new Set(first.map((h) => h.chunkId));
  return [...first, ...extra.filter((h) => !seen.has(h.chunkId))].slice(0, k);
}
