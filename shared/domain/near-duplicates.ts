/**
 * Near-duplicate messages between two sets (training vs test): character-trigram Jaccard or
 * word-set Jaccard at or above a threshold, on lower-cased text with punctuation turned into
 * spaces. Catches typo variants ("contct info" ~ "contact info"), one-word additions and repeated
 * words, which would make test figures measure memory instead of generalisation.
 */

export interface NearDuplicate<W> {
  a: { text: string; where: W };
  b: { text: string; where: W };
  trigram: number;
  words: number;
}

const spaced = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\s+/g, ' ').trim();

function trigrams(s: string): Set<string> {
  const t = ` ${spaced(s)} `;
  const g = new Set<string>();
  for (let i = 0; i + 3 <= t.length; i++) g.add(t.slice(i, i + 3));
  return g;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter || 1);
}

/** Every pair (a in `as`, b in `bs`) with trigram Jaccard >= `trigram` or word Jaccard >= `words`. */
export function nearDuplicates<W>(as: { text: string; where: W }[], bs: { text: string; where: W }[], limits: { trigram: number; words: number }): NearDuplicate<W>[] {
  const feat = (r: { text: string; where: W }) => ({ r, g: trigrams(r.text), w: new Set(spaced(r.text).split(' ')) });
  const B = bs.map(feat);
  const out: NearDuplicate<W>[] = [];
  for (const x of as.map(feat)) {
    for (const y of B) {
      const g = jaccard(x.g, y.g);
      const w = jaccard(x.w, y.w);
      if (g >= limits.trigram || w >= limits.words) out.push({ a: x.r, b: y.r, trigram: g, words: w });
    }
  }
  return out;
}
