/**
 * The dialogue set's format (domains/<store>/eval/dialogues.jsonl), in zod: multi-turn dialogues,
 * each turn with what a correct system resolves, classifies, routes and says. Loading checks each
 * line and that every turn's path class is its intent's route in the store's routes.json, and
 * refuses the file otherwise (with the line number). No scoring here (dialogue-score.ts).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';

/** Entity kinds as the edge's follow-up resolver names them; values canonical (lower case). */
export const EntityKind = z.enum(['product', 'volume', 'edition', 'format', 'language', 'place', 'order']);
export const ExpectedEntity = z.object({ kind: EntityKind, value: z.string().min(1).max(128) });
export type ExpectedEntity = z.infer<typeof ExpectedEntity>;

/** Where the answer may come from: the intent's route class (template at the edge; cacheable: the cache or the region; catalog: a catalog row (template), the cache or the region; order: the order's record or the ask-for-the-id template (template), or the region's generation when the order system is down (llm); llm: the region). */
export const PathClass = z.enum(['template', 'cacheable', 'catalog', 'order', 'llm']);
export type PathClass = z.infer<typeof PathClass>;

/** A fact the answer must (or must not) state: alternatives separated by "|", matched case-insensitively, dashes and spaces normalised. */
const Fact = z.string().min(1).max(200);

export const DialogueTurn = z.object({
  message: z.string().trim().min(1).max(500),
  /** True when the message leans on earlier turns ("and volume 2?", "is it in stock?"). */
  followUp: z.boolean(),
  expect: z.object({
    /** The standalone question a reader would rewrite it as (documentation; not scored verbatim). */
    resolved: z.string().min(1).max(500),
    /** What the resolved question is about; scored per kind named here. */
    entities: z.array(ExpectedEntity).max(8),
    intent: z.string().min(1).max(64),
    path: PathClass,
    /** Turns with the same key may share a cached answer; a cache hit from another key is a wrong hit. */
    answerKey: z.string().min(1).max(200),
    mustContain: z.array(Fact).max(8),
    mustNotContain: z.array(Fact).max(8),
  }),
});
export type DialogueTurn = z.infer<typeof DialogueTurn>;

export const DialogueKindTag = z.enum([
  'ellipsis', 'pronoun', 'volume_switch', 'edition_switch', 'format_switch', 'language_switch', 'destination_switch',
  'topic_switch', 'after_oos', 'greeting_thanks', 'cache_trap', 'order',
]);

export const Dialogue = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/).max(80),
  kinds: z.array(DialogueKindTag).min(1),
  /** Dialogues of one trap group ask the same follow-up words after different context; they are played in file order. */
  trapGroup: z.string().max(80).optional(),
  turns: z.array(DialogueTurn).min(2).max(4),
});
export type Dialogue = z.infer<typeof Dialogue>;

const Routes = z.object({ intents: z.record(z.string(), z.object({ route: PathClass })) });

/**
 * Reads and checks a store's dialogue set (eval/dialogues.jsonl, or `file`: another set in the same
 * format, e.g. a held-out one); throws with the line number of the first bad line.
 */
export function loadDialogues(storeDir: string, file = join(storeDir, 'eval', 'dialogues.jsonl')): Dialogue[] {
  const routes = Routes.parse(JSON.parse(readFileSync(join(storeDir, 'routes.json'), 'utf8')));
  const name = basename(file);
  const lines = readFileSync(file, 'utf8').split('\n');
  const seen = new Set<string>();
  const out: Dialogue[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${name} line ${i + 1}`;
    const r = Dialogue.safeParse(JSON.parse(line));
    if (!r.success) throw new Error(`${where}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    const d = r.data;
    if (seen.has(d.id)) throw new Error(`${where}: duplicate id ${d.id}`);
    seen.add(d.id);
    d.turns.forEach((t, j) => {
      const route = routes.intents[t.expect.intent]?.route;
      if (!route) throw new Error(`${where}: turn ${j + 1} names unknown intent ${t.expect.intent}`);
      if (route !== t.expect.path) throw new Error(`${where}: turn ${j + 1} expects path ${t.expect.path} but ${t.expect.intent} routes to ${route}`);
    });
    if (d.turns[0].followUp) throw new Error(`${where}: the first turn cannot be a follow-up`);
    out.push(d);
  });
  return out;
}
