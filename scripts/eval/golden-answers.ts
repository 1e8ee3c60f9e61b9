/**
 * The golden answer set's format (domains/<domain>/eval/golden-answers.jsonl) and its markers
 * (answer-markers.json), validated with zod at load. Each line is a question (with the earlier
 * turns of its conversation, if any), what the answer must do (answer, decline, hand off to a
 * person), the facts it must contain (a fact: one wording or a list of acceptable wordings) and
 * the facts it must not. It refuses a set with duplicate ids or an answer question with no fact.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Fact = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).min(1).max(8)]);
export type Fact = z.infer<typeof Fact>;

export const GoldenQuestion = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/).max(40),
    turns: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().min(1).max(2000) }).strict()).max(8).optional(),
    question: z.string().min(1).max(2000),
    expect: z.enum(['answer', 'decline', 'handoff']),
    must: z.array(Fact).max(12).default([]),
    mustNot: z.array(Fact).max(12).default([]),
    tags: z.array(z.string().min(1).max(32)).max(8).default([]),
  })
  .strict()
  .refine((q) => q.expect !== 'answer' || q.must.length > 0, { message: 'an answer question needs at least one fact it must contain' });
export type GoldenQuestion = z.infer<typeof GoldenQuestion>;

/** Phrases that make an answer a decline or a handoff (any one, case-insensitive). */
export const AnswerMarkers = z
  .object({
    decline: z.array(z.string().min(3)).min(1),
    handoff: z.array(z.string().min(3)).min(1),
    /** A generator's own notes ("no AI model was used"): not facts, left out of grounding. */
    note: z.array(z.string().min(3)).default([]),
  })
  .strict();
export type AnswerMarkers = z.infer<typeof AnswerMarkers>;

export function parseGoldenSet(text: string, where: string): GoldenQuestion[] {
  const out: GoldenQuestion[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}:${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = GoldenQuestion.safeParse(json);
    if (!r.success) throw new Error(`${where}:${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.') || 'line'}: ${x.message}`).join('; ')}`);
    if (ids.has(r.data.id)) throw new Error(`${where}:${i + 1}: duplicate id ${r.data.id}`);
    ids.add(r.data.id);
    out.push(r.data);
  });
  return out;
}

export function loadGoldenSet(path: string): GoldenQuestion[] {
  return parseGoldenSet(readFileSync(path, 'utf8'), path);
}

export function loadMarkers(path: string): AnswerMarkers {
  return AnswerMarkers.parse(JSON.parse(readFileSync(path, 'utf8')));
}
