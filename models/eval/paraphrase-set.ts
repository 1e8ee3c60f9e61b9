/**
 * The store paraphrase set for the semantic cache (domains/<domain>/eval/paraphrases.jsonl):
 * pairs of a cached question `a` and a later question `b` of one cacheable intent, labelled 1
 * when `a`'s answer answers `b` and 0 for hard negatives (same intent, another entity, aspect or
 * asked-about value). Its zod schema, reader and the generator from a templates file.
 * Refuses a set with a malformed line or a line that repeats a training sentence.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { mulberry32 } from '../pipeline/datasets.ts';

export const PairKind = z.enum(['synonym', 'typo', 'chat', 'polite', 'order', 'entity', 'aspect', 'value', 'express']);
export const ParaphrasePair = z.strictObject({
  id: z.string().min(1),
  split: z.enum(['train', 'val', 'test']),
  intent: z.string().min(1),
  a: z.string().min(1).max(300),
  b: z.string().min(1).max(300),
  label: z.union([z.literal(0), z.literal(1)]),
  kind: PairKind,
  groups: z.tuple([z.string(), z.string()]),
  /** What each question needs answered: `group|slot=value;…` (judges cache hits in replays). */
  needs: z.tuple([z.string(), z.string()]),
});
export type ParaphrasePair = z.infer<typeof ParaphrasePair>;

export const ParaphraseTemplates = z.object({
  about: z.string().optional(),
  slots: z.record(z.string(), z.array(z.string().min(1)).min(2)),
  valueSlots: z.array(z.string()).default([]),
  intents: z.record(
    z.string(),
    z.object({
      groups: z.record(z.string(), z.array(z.string().min(3)).min(2)),
      conflicts: z.array(z.tuple([z.string(), z.string()])),
      sameAnswer: z.array(z.tuple([z.string(), z.string()])).optional(),
    }),
  ),
});
export type ParaphraseTemplates = z.infer<typeof ParaphraseTemplates>;

export function readParaphrases(path: string): ParaphrasePair[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const r = ParaphrasePair.safeParse(JSON.parse(l));
      if (!r.success) throw new Error(`${path}:${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      return r.data;
    });
}

const SLOT = /\{(\w+)\}/g;

function slotsOf(t: string): string[] {
  return [...t.matchAll(SLOT)].map((m) => m[1]);
}

function needOf(group: string, template: string, v: Record<string, string>): string {
  return `${group}|${slotsOf(template)
    .sort()
    .map((k) => `${k}=${v[k]}`)
    .join(';')}`;
}

/**
 * Whether an answer given for need `cached` answers need `asked`: the same need, or the open and
 * the specific form of one question (`sameAnswer` [open, specific]: "what format is X" / "is X a
 * hardcover") with the same slots apart from the asked-about value — either answer states the value.
 */
export function answersNeed(cached: string, asked: string, t: Pick<ParaphraseTemplates, 'intents' | 'valueSlots'>): boolean {
  if (cached === asked) return true;
  const [gc, sc = ''] = cached.split('|');
  const [ga, sa = ''] = asked.split('|');
  const open = Object.values(t.intents).some((i) => i.sameAnswer?.some(([o, s]) => (o === ga && s === gc) || (o === gc && s === ga)));
  if (!open) return false;
  const strip = (slots: string) => slots.split(';').filter((kv) => kv && !t.valueSlots.includes(kv.split('=')[0])).join(';');
  return strip(sc) === strip(sa);
}

function fill(t: string, v: Record<string, string>): string {
  return t.replace(SLOT, (_, k: string) => v[k] ?? `{${k}}`);
}

// ---- surface variations of a question that keep its meaning ----
const CHAT: [RegExp, string][] = [
  [/\byou\b/gi, 'u'],
  [/\bplease\b/gi, 'pls'],
  [/\bare\b/gi, 'r'],
  [/\bwhat's\b/gi, 'whats'],
  [/\bI\b/g, 'i'],
  [/\bthanks\b/gi, 'thx'],
  [/\bbecause\b/gi, 'cuz'],
];
const POLITE_BEFORE = ['Hi! ', 'Hello, quick question: ', 'Hey there, ', 'Good morning! ', 'Sorry to bother you, ', 'Hi, I was wondering: ', 'Excuse me, '];
const POLITE_AFTER = [' Thanks!', ' Thank you so much.', ' please', ' Cheers', ' thanks in advance', ' Much appreciated!'];

function chatStyle(s: string, r: () => number): string {
  let out = s;
  for (const [re, to] of CHAT) out = out.replace(re, to);
  out = out.replace(/[?.!,]/g, '').toLowerCase();
  return r() < 0.4 ? `${out} pls` : r() < 0.5 ? `${out}??` : out;
}

function typo(s: string, r: () => number, keep: Set<string>): string {
  const words = s.split(' ');
  const cand = words.map((w, i) => ({ w, i })).filter(({ w }) => /^[a-z]{5,}$/i.test(w) && !keep.has(w.toLowerCase()));
  if (!cand.length) return s;
  const { w, i } = cand[Math.floor(r() * cand.length)];
  const k = 1 + Math.floor(r() * (w.length - 2));
  const op = r();
  words[i] = op < 0.5 ? w.slice(0, k) + w[k + 1] + w[k] + w.slice(k + 2) : op < 0.8 ? w.slice(0, k) + w.slice(k + 1) : w.slice(0, k) + w[k] + w.slice(k);
  return words.join(' ');
}

function polite(s: string, r: () => number): string {
  const first = s[0].toLowerCase() + s.slice(1);
  return r() < 0.6 ? POLITE_BEFORE[Math.floor(r() * POLITE_BEFORE.length)] + first : s.replace(/[?.!]*$/, '') + '?' + POLITE_AFTER[Math.floor(r() * POLITE_AFTER.length)];
}

export interface GenerateOptions {
  seed?: number;
  /** Pairs per intent (about half positive). */
  perIntent?: number;
  /** Normalized training sentences the set must not repeat. */
  exclude?: Set<string>;
  split?: { train: number; val: number };
}

export function normalizeSentence(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * Pairs from the templates: positives are two phrasings of one group with the same slot values,
 * the second one varied (typo, chat style, politeness; another phrasing already changes word
 * order and synonyms); negatives keep the phrasing style but change one slot value (entity), the
 * group (aspect, from `conflicts`), or the asked-about value.
 */
export function generateParaphrases(t: ParaphraseTemplates, o: GenerateOptions = {}): ParaphrasePair[] {
  const r = mulberry32(o.seed ?? 19);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const perIntent = o.perIntent ?? 1200;
  const split = o.split ?? { train: 0.45, val: 0.2 };
  const out: ParaphrasePair[] = [];
  const seen = new Set<string>();
  const exclude = o.exclude ?? new Set<string>();
  for (const [intent, spec] of Object.entries(t.intents)) {
    const groups = Object.keys(spec.groups);
    const slotValues = (needed: string[]) => Object.fromEntries(needed.map((s) => [s, pick(t.slots[s])]));
    const keep = (v: Record<string, string>) => new Set(Object.values(v).flatMap((x) => x.toLowerCase().split(' ')));
    const vary = (s: string, v: Record<string, string>): { text: string; kind: ParaphrasePair['kind'] } => {
      const x = r();
      if (x < 0.25) return { text: typo(s, r, keep(v)), kind: 'typo' };
      if (x < 0.5) return { text: chatStyle(s, r), kind: 'chat' };
      if (x < 0.7) return { text: polite(s, r), kind: 'polite' };
      return { text: s, kind: 'synonym' };
    };
    let made = 0;
    let attempts = 0;
    const push = (p: Omit<ParaphrasePair, 'id' | 'split'>) => {
      const key = `${p.a}\u0000${p.b}`;
      if (p.a === p.b || seen.has(key) || exclude.has(normalizeSentence(p.a)) || exclude.has(normalizeSentence(p.b))) return;
      seen.add(key);
      const u = r();
      out.push({ id: `${intent}-${out.length}`, split: u < split.train ? 'train' : u < split.train + split.val ? 'val' : 'test', ...p });
      made++;
    };
    while (made < perIntent && attempts++ < perIntent * 50) {
      const x = r();
      const g = pick(groups);
      const phr = spec.groups[g];
      const ta = pick(phr);
      const tb = pick(phr.filter((p) => p !== ta));
      const needed = [...new Set([...slotsOf(ta), ...slotsOf(tb)])];
      const v = slotValues(needed);
      const a = fill(ta, v);
      if (x < 0.5) {
        // positive: same group, same slots, another phrasing, varied surface
        const b = vary(fill(tb, v), v);
        const kind = b.kind === 'synonym' && slotsOf(ta).length && tb.indexOf('{') < 3 !== ta.indexOf('{') < 3 ? 'order' : b.kind;
        push({ intent, a, b: b.text, label: 1, kind, groups: [g, g], needs: [needOf(g, ta, v), needOf(g, tb, v)] });
      } else if (x < 0.56 && spec.sameAnswer?.length) {
        // positive one way: a specific question's answer cached, the open question asked
        const [open, specific] = pick(spec.sameAnswer);
        const sa = pick(spec.groups[specific]);
        const ob = pick(spec.groups[open]);
        const vv = slotValues([...new Set([...slotsOf(sa), ...slotsOf(ob)])]);
        push({ intent, a: fill(sa, vv), b: vary(fill(ob, vv), vv).text, label: 1, kind: 'synonym', groups: [specific, open], needs: [needOf(specific, sa, vv), needOf(open, ob, vv)] });
      } else if (x < 0.72 && needed.length) {
        // hard negative: one slot value changed
        const valueSlots = needed.filter((n) => t.valueSlots.includes(n));
        const s = valueSlots.length && r() < 0.7 ? pick(valueSlots) : pick(needed);
        const other = pick(t.slots[s].filter((y) => y !== v[s]));
        const vb = { ...v, [s]: other };
        const b = vary(fill(tb, vb), v);
        push({ intent, a, b: b.text, label: 0, kind: t.valueSlots.includes(s) ? 'value' : 'entity', groups: [g, g], needs: [needOf(g, ta, v), needOf(g, tb, vb)] });
      } else if (spec.conflicts.length) {
        // hard negative: same slot values, another aspect of the same intent
        // a third of them between a standard and an express question (when the intent has both)
        const express = spec.conflicts.filter(([x, y]) => /express/.test(x) !== /express/.test(y));
        const [g1, g2] = express.length && r() < 0.33 ? pick(express) : pick(spec.conflicts);
        const [ga, gb] = r() < 0.5 ? [g1, g2] : [g2, g1];
        const pa = pick(spec.groups[ga]);
        const pb = pick(spec.groups[gb]);
        const vv = slotValues([...new Set([...slotsOf(pa), ...slotsOf(pb)])]);
        const kind = /express/.test(ga) !== /express/.test(gb) ? 'express' : 'aspect';
        push({ intent, a: fill(pa, vv), b: vary(fill(pb, vv), vv).text, label: 0, kind, groups: [ga, gb], needs: [needOf(ga, pa, vv), needOf(gb, pb, vv)] });
      }
    }
  }
  return out;
}
