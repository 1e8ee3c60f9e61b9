/**
 * The answer to a question the structured data does not cover, quoted from passages: every
 * sentence (markdown removed; headings and FAQ questions are not quoted; a table row is read as one
 * sentence that names each cell by its column: "Overnight: carrier UPS Next Day Air; price $29.99; …") scores by the
 * weight of the question's words that it, its passage's title (an FAQ question) or the heading it
 * stands under hold (rarer words weigh more), the better-ranked passage and the earlier sentence
 * first. The answer is the best sentence plus at most one more of the same passage that adds a
 * word of the question. `coverage` says how much of the question the answer holds, so the caller
 * can say it does not know instead of quoting noise.
 */
import { splitSentences } from '../guardrails.ts';
import { cells, plainText } from './policy-tables.ts';
import { contentTokens, negatedBases } from './text.ts';

export interface Passage {
  id: string;
  title?: string;
  text: string;
}

export interface Quoted {
  sentences: string[];
  passage: Passage;
  /** Weight of the question's words the answer holds ÷ weight of all of them (0–1). */
  coverage: number;
}

interface Sentence {
  s: string;
  /** Its own words, and its passage title's and heading's (which count a little less). */
  words: Set<string>;
  own: Set<string>;
  hasNumber: boolean;
  i: number;
  line: number;
}

/** A word of the question found in the title or heading only counts this much of one found in the sentence. */
const TITLE_WEIGHT = 0.85;

export class SentencePicker {
  /** A passage's sentences, split once (the store's own passages are asked again and again). */
  private readonly split = new WeakMap<Passage, Sentence[]>();

  constructor(private readonly weightOf: (stem: string) => number) {}

  private sentencesOf(p: Passage): Sentence[] {
    const cached = this.split.get(p);
    if (cached) return cached;
    const out: Sentence[] = [];
    // A sentence is read with its passage's title and the heading it stands under.
    let heading: string[] = [];
    let i = 0;
    let line = 0;
    const titleWords = contentTokens(p.title ?? '');
    let columns: string[] | null = null;
    for (const text of p.text.split('\n')) {
      line++;
      if (/^\s*#/.test(text)) {
        heading = contentTokens(text);
        continue;
      }
      if (/^\s*\|/.test(text)) {
        if (/^\s*\|?\s*:?-{2,}/.test(text)) continue;
        if (!columns) columns = cells(text);
        else {
          const s = rowSentence(columns, cells(text));
          const own = new Set(sentenceWords(s));
          out.push({ s, words: new Set([...own, ...titleWords, ...heading]), own, hasNumber: /\d/.test(s), i: i++, line });
        }
        continue;
      }
      columns = null;
      for (const raw of splitSentences(text)) {
        const s = plainText(raw);
        if (s.length < 12 || s.endsWith('?') || (p.title && s === plainText(p.title))) continue;
        const own = new Set(sentenceWords(s));
        out.push({ s, words: new Set([...own, ...titleWords, ...heading]), own, hasNumber: /\d/.test(s), i: i++, line });
      }
    }
    this.split.set(p, out);
    return out;
  }

  /**
   * @param prior a bonus for a passage (e.g. one of the message's intent), added to every sentence's score
   * @param ranked whether the passages come best first (retrieval order counts a little) or unordered
   */
  pick(question: string, passages: Passage[], prior: (p: Passage) => number = () => 0, ranked = true, maxSentences = 2): Quoted | null {
    const q = [...new Set(contentTokens(question))];
    // "How many / how much / how long / when": a sentence with a number answers it better.
    const wantsNumber = /\b(how (many|much|long|soon|fast)|when|what time|price|cost)\b/i.test(question);
    const total = q.reduce((n, w) => n + this.weightOf(w), 0);
    if (!total) return null;
    type Candidate = Sentence & { score: number; p: Passage };
    const weight = new Map(q.map((w) => [w, this.weightOf(w)]));
    const scoreOf = (x: Sentence, p: Passage) => {
      let score = 0;
      for (const w of q) if (x.words.has(w)) score += weight.get(w)! * (x.own.has(w) ? 1 : TITLE_WEIGHT);
      return score / total + prior(p) + (wantsNumber && x.hasNumber ? 0.08 : 0) - 0.03 * Math.min(x.i, 3) - 0.002 * Math.max(0, x.s.length - 160);
    };
    // The best passage is the one whose best sentence, with the rest of its list item, holds the
    // most of the question; only its sentences are kept for the second pick.
    let best: (Sentence & { score: number; p: Passage }) | null = null;
    let bestValue = -Infinity;
    passages.forEach((p, rank) => {
      const list = this.sentencesOf(p);
      list.forEach((x, k) => {
        const score = scoreOf(x, p);
        const next = list[k + 1]?.line === x.line ? list[k + 1] : undefined;
        let extra = 0;
        if (next) for (const w of q) if (next.words.has(w) && !x.words.has(w)) extra += weight.get(w)!;
        const value = score + extra / total - (ranked ? 0.04 * rank : 0);
        if (value > bestValue) (best = { ...x, score, p }), (bestValue = value);
      });
    });
    if (!best) return null;
    const top: Sentence & { score: number; p: Passage } = best;
    const all: Candidate[] = this.sentencesOf(top.p).map((x) => ({ ...x, score: scoreOf(x, top.p), p: top.p }));
    const first = all.find((x) => x.i === top.i)!;
    const chosen = [first];
    const covered = new Set(q.filter((w) => first.words.has(w)));
    // A list item is one unit: its next sentence comes along ("…up to 4 lb. Each additional 2 lb adds $6.00.").
    const next = all.find((x) => x.line === first.line && x.i === first.i + 1);
    if (next) {
      chosen.push(next);
      for (const w of q) if (next.words.has(w)) covered.add(w);
    }
    for (const c of all.filter((x) => !chosen.includes(x)).sort((a, b) => b.score - a.score)) {
      if (chosen.length >= maxSentences + (next ? 1 : 0)) break;
      const adds = q.filter((w) => c.words.has(w) && !covered.has(w));
      if ((!adds.length && c.score < first.score * 0.9) || chosen.some((x) => x.s === c.s)) continue;
      adds.forEach((w) => covered.add(w));
      chosen.push(c);
    }
    const coverage = [...covered].reduce((n, w) => n + this.weightOf(w), 0) / total;
    return { sentences: chosen.sort((a, b) => a.i - b.i).map((c) => (/[.!?)]$/.test(c.s) ? c.s : `${c.s}.`)), passage: top.p, coverage };
  }
}

/** A sentence's words, with what its negated words negate ("unread" holds "read": it answers "a book I already read"). */
const sentenceWords = (s: string) => [...contentTokens(s), ...negatedBases(s)];

/** A table row as a sentence: its first cell, then each other cell after its column's name ("Overnight: carrier UPS Next Day Air; price $29.99."). */
function rowSentence(columns: readonly string[], row: readonly string[]): string {
  const rest = row.slice(1).map((c, k) => (columns[k + 1] ? `${columns[k + 1].toLowerCase()} ${c}` : c)).filter((c) => c.trim());
  return `${row[0]}: ${rest.join('; ')}`;
}
