/**
 * What a cacheable question asks about — its aspect — found by the cue words of the domain's
 * cache aspects (domains/<domain>/cache-aspects.json): "how long does shipping to Canada take"
 * asks `time`, "what does it cost to ship to Canada" asks `cost`, and the two never share an
 * answer. Zod-free (the browser widget bundles it); the schema lives in aspects-schema.ts.
 *
 * Cues are whole words or phrases over the entity normalizer's text; a cue word of 6+ letters
 * also matches a word of 6+ letters one typo away (one edit or swap), so "delivry time" still asks `time`. It refuses to
 * guess: a message whose cues match nothing gets the intent's fallback aspect, never the nearest.
 */
import { normalizeForEntities } from './entities.ts';

export interface AspectRule {
  cues: string[];
  /** Asked-about values (e.g. formats): value → phrases. They become the frame's qualifier. */
  values?: Record<string, string[]>;
  /** Entity values this aspect already captures; they leave the entity signature. */
  absorbs?: string[];
  /** Aspects that, when also matched, say more precisely what is asked: this one then drops out. */
  yieldsTo?: string[];
}

export interface IntentAspects {
  fallback: string;
  aspects: Record<string, AspectRule>;
  /** Entity values that never change this intent's answer (e.g. the default shipping method). */
  absorbs?: string[];
}

export interface CacheAspects {
  domain?: string;
  about?: string;
  intents: Record<string, IntentAspects>;
}

export interface DetectedAspect {
  /** Matched aspect names, sorted, joined with "+"; the fallback when none matched; "" for intents without aspects. */
  aspect: string;
  /** Asked-about values found (sorted, "+"-joined), "" when none. */
  qualifier: string;
  /** Entity values that must leave the entity signature (qualifier values and absorbed ones). */
  dropEntities: Set<string>;
  /** The cue phrases that matched, for explanations. */
  cues: string[];
}

interface Cue {
  words: string[];
  aspect: string;
  /** Set for a value phrase: the canonical value. */
  value?: string;
}

const FUZZY_MIN = 6;

export class AspectDetector {
  private readonly byIntent = new Map<string, { spec: IntentAspects; cues: Cue[] }>();

  constructor(readonly config: CacheAspects) {
    for (const [intent, spec] of Object.entries(config.intents)) {
      const cues: Cue[] = [];
      for (const [aspect, rule] of Object.entries(spec.aspects)) {
        for (const c of rule.cues) cues.push({ words: words(c), aspect });
        for (const [value, phrases] of Object.entries(rule.values ?? {})) for (const p of [value, ...phrases]) cues.push({ words: words(p), aspect, value });
      }
      this.byIntent.set(intent, { spec, cues: cues.filter((c) => c.words.length) });
    }
  }

  has(intent: string): boolean {
    return this.byIntent.has(intent);
  }

  detect(text: string, intent: string): DetectedAspect {
    const entry = this.byIntent.get(intent);
    if (!entry) return { aspect: '', qualifier: '', dropEntities: new Set(), cues: [] };
    const ws = words(text);
    const aspects = new Set<string>();
    const valuesOf = new Map<string, Set<string>>();
    const cues: string[] = [];
    for (const cue of entry.cues) {
      if (!containsPhrase(ws, cue.words)) continue;
      aspects.add(cue.aspect);
      if (cue.value) valuesOf.set(cue.aspect, (valuesOf.get(cue.aspect) ?? new Set()).add(cue.value));
      cues.push(cue.words.join(' '));
    }
    for (const a of [...aspects]) if (entry.spec.aspects[a]?.yieldsTo?.some((b) => aspects.has(b))) aspects.delete(a);
    // One value asks about it ("is it a hardcover"); two or more offer a choice ("hardcover or
    // paperback?"), which is the open question: no qualifier.
    const values = new Set<string>();
    const drop = new Set<string>();
    for (const vs of valuesOf.values()) {
      for (const v of vs) drop.add(v);
      if (vs.size === 1) values.add([...vs][0]);
    }
    for (const v of entry.spec.absorbs ?? []) drop.add(normalizeForEntities(v));
    for (const a of aspects) for (const v of entry.spec.aspects[a]?.absorbs ?? []) drop.add(normalizeForEntities(v));
    return {
      aspect: aspects.size ? [...aspects].sort().join('+') : entry.spec.fallback,
      qualifier: [...values].sort().join('+'),
      dropEntities: drop,
      cues: [...new Set(cues)],
    };
  }
}

function words(text: string): string[] {
  return normalizeForEntities(text)
    .replace(/[.\-]+/g, ' ')
    .replace(/\$/g, ' $ ')
    .split(' ')
    .filter(Boolean);
}

function containsPhrase(ws: string[], phrase: string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= ws.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (!wordMatches(ws[i + j], phrase[j])) continue outer;
    return true;
  }
  return false;
}

function wordMatches(w: string, cue: string): boolean {
  if (w === cue) return true;
  return cue.length >= FUZZY_MIN && w.length >= FUZZY_MIN && Math.abs(w.length - cue.length) <= 1 && withinOneEdit(w, cue);
}

/**
 * True when a and b differ by at most one insertion, deletion, substitution or adjacent swap.
 * Compares in place (no slice): it runs for every unmatched word against the catalog's series.
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (a.length === b.length) {
    if (sameFrom(a, i + 1, b, i + 1)) return true; // substitution
    return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && sameFrom(a, i + 2, b, i + 2); // swap
  }
  return a.length > b.length ? sameFrom(a, i + 1, b, i) : sameFrom(a, i, b, i + 1);
}

/** Whether a from i on equals b from j on. */
function sameFrom(a: string, i: number, b: string, j: number): boolean {
  if (a.length - i !== b.length - j) return false;
  for (; i < a.length; i++, j++) if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
  return true;
}
