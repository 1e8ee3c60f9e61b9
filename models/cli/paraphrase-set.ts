/**
 * `npx tsx models/cli/paraphrase-set.ts [--domain kitsune-books]`: writes the store paraphrase
 * set domains/<domain>/eval/paraphrases.jsonl from its paraphrase-templates.json (seeded, so
 * the file is reproducible), skipping any sentence that is also a training sentence, then
 * re-reads it through the zod schema and prints counts per split, intent, label and kind.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../pipeline/datasets.ts';
import { generateParaphrases, normalizeSentence, ParaphraseTemplates, readParaphrases } from '../eval/paraphrase-set.ts';
import { cliArgs } from './args.ts';

const { values } = cliArgs({ domain: { type: 'string' } });
const domain = (values.domain as string | undefined) ?? 'kitsune-books';
const dir = join(repoRoot(), 'domains', domain);
const templates = ParaphraseTemplates.parse(JSON.parse(readFileSync(join(dir, 'eval', 'paraphrase-templates.json'), 'utf8')));
const exclude = new Set<string>();
for (const d of [join(dir, 'intents')].filter(existsSync)) {
  for (const f of ['train.jsonl', 'val.jsonl', 'test.jsonl']) {
    for (const l of readFileSync(join(d, f), 'utf8').split('\n').filter(Boolean)) exclude.add(normalizeSentence((JSON.parse(l) as { text: string }).text));
  }
}
const pairs = generateParaphrases(templates, { exclude });
const out = join(dir, 'eval', 'paraphrases.jsonl');
writeFileSync(out, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
const back = readParaphrases(out);
const count = (f: (p: (typeof back)[number]) => string) => back.reduce<Record<string, number>>((m, p) => ((m[f(p)] = (m[f(p)] ?? 0) + 1), m), {});
console.log(JSON.stringify({ file: out, pairs: back.length, split: count((p) => p.split), intent: count((p) => p.intent), label: count((p) => String(p.label)), kind: count((p) => p.kind) }, null, 2));
