/**
 * What a message about a product asks, read from its words and entities (conversation.json
 * `intentCues`): a price or stock word said of a product ("I'm looking at Naruto vol 2 — what does
 * it cost?", "what would it cost me?" after a title) asks the price; "tell me about" a title asks
 * about its content. The product may be the message's own or carried from an earlier turn. Used
 * only to settle a guess the classifier is unsure of (intent-in-context.ts), never to override a
 * confident one — except a rule marked `decisive`, which says what a message asks whatever the
 * classifier read: a comparison of two or more titles by price ("dorohedoro 1 or blame master 1,
 * which costs less") asks their prices, however much it reads like a question about the books
 * (`atLeast`: how many different entities of its first `with` kind the message must name).
 * Zod-free (the widget bundles it); the schema is in conversation-data.ts.
 *
 * A rule applies when the message has every entity kind of `with`, none of `unless`, none of the
 * `unlessCues` words, and one of its `cues` (whole words or phrases). Words inside an entity do not
 * count ("My Hero Academia" is not "my", "The Story of…" not "story"), nor words inside an `except`
 * phrase ("how about volume 2" is not "about"). It refuses to guess: when the rules of two intents
 * apply, or none, there is no cue intent.
 */
import { tokens, type DialogueKind, type MessageAnalysis } from './dialogue-entities.ts';

export interface IntentCueRule {
  intent: string;
  cues: string[];
  with: DialogueKind[];
  unless?: DialogueKind[];
  unlessCues?: string[];
  except?: string[];
  /** At least this many different entities of the first `with` kind (own and carried). */
  atLeast?: number;
  /** Applies over a confident classifier too. */
  decisive?: boolean;
}

interface Rule {
  intent: string;
  cues: string[][];
  with: DialogueKind[];
  unless: DialogueKind[];
  unlessCues: string[][];
  except: string[][];
  atLeast: number;
  decisive: boolean;
}

const phrases = (list: string[] | undefined) => (list ?? []).map(tokens).filter((p) => p.length > 0);

export class IntentCues {
  private readonly rules: Rule[];

  constructor(rules: readonly IntentCueRule[] = []) {
    this.rules = rules.map((r) => ({ intent: r.intent, cues: phrases(r.cues), with: r.with, unless: r.unless ?? [], unlessCues: phrases(r.unlessCues), except: phrases(r.except), atLeast: r.atLeast ?? 1, decisive: !!r.decisive }));
  }

  /**
   * The one intent whose rule the message meets, given the entities it has (its own and carried);
   * undefined when none or several do. `decisiveOnly`: only the rules that apply over a confident classifier.
   */
  intentOf(a: Pick<MessageAnalysis, 'words' | 'spans'>, entities: readonly { kind: DialogueKind; value: string }[], decisiveOnly = false): string | undefined {
    const kinds = new Set(entities.map((e) => e.kind));
    const count = (k: DialogueKind) => new Set(entities.filter((e) => e.kind === k).map((e) => e.value)).size;
    const words = [...a.words];
    for (const sp of a.spans) words.fill('', sp.start, sp.end);
    const found = new Set<string>();
    for (const r of this.rules) {
      if (decisiveOnly && !r.decisive) continue;
      if (!r.with.every((k) => kinds.has(k)) || r.unless.some((k) => kinds.has(k)) || count(r.with[0]) < r.atLeast) continue;
      if (r.unlessCues.some((p) => indexOf(words, p) >= 0)) continue;
      const ws = masked(words, r.except);
      if (r.cues.some((p) => indexOf(ws, p) >= 0)) found.add(r.intent);
    }
    return found.size === 1 ? [...found][0] : undefined;
  }
}

function indexOf(words: readonly string[], phrase: readonly string[], from = 0): number {
  // Plain loops: every rule's cues are looked for in every message (no closure per word).
  for (let i = from; i + phrase.length <= words.length; i++) {
    let k = 0;
    while (k < phrase.length && words[i + k] === phrase[k]) k++;
    if (k === phrase.length) return i;
  }
  return -1;
}

/** The words with every `except` phrase blanked out. */
function masked(words: readonly string[], except: readonly string[][]): string[] {
  const out = [...words];
  for (const p of except) for (let i = indexOf(out, p); i >= 0; i = indexOf(out, p, i + 1)) out.fill('', i, i + p.length);
  return out;
}
