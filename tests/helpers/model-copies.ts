/** Copies of a committed model folder under another version number (manifest.json is not hashed), registered and promoted, for registry tests. */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerModelFolder } from '../../regional/src/ops/register-folder.ts';
import type { ModelRegistryStore } from '../../regional/src/store/types.ts';

export function copyModelAs(source: string, dir: string, version: string): string {
  const out = join(dir, `${source.split('/').at(-1)}-${version}`);
  cpSync(source, out, { recursive: true });
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...m, version }));
  return out;
}

/** Registers a folder (no drift baseline) and moves it through staging to production. */
export async function registerAndPromote(registry: ModelRegistryStore, folder: string, name: string, version: string, beforeProduction: () => void = () => {}): Promise<void> {
  await registerModelFolder(registry, folder, { registeredBy: 'test', baselineData: null });
  beforeProduction();
  await registry.setStage(name, version, 'staging', { actor: 'test' });
  await registry.setStage(name, version, 'production', { actor: 'test', reason: `${name}@${version} in a test` });
}

/**
 * A copy of a committed model folder under another version whose tokenizer maps word `a` to `b`'s
 * id and `b` to `a`'s (manifest.json updated to the new tokenizer.json's sha256): a model with
 * other files and other outputs, and predictably so: it reads a text as the original reads that
 * text with `a` and `b` swapped.
 */
export function copyWithSwappedWords(source: string, dir: string, version: string, a: string, b: string): string {
  return copyWithVocabulary(source, dir, version, (vocab) => {
    if (vocab[a] === undefined || vocab[b] === undefined) throw new Error(`${a} or ${b} is not in the vocabulary`);
    [vocab[a], vocab[b]] = [vocab[b], vocab[a]];
  });
}

/**
 * A copy whose tokenizer maps each of the whole words with ids in [from, to) to the next one's id
 * (the last to the first's), or with `merge` all of them to the first one's: a model that reads
 * most common words as other words (or all as one), a deliberately degraded candidate with the
 * same shapes and speed.
 */
export function copyWithScrambledWords(source: string, dir: string, version: string, from = 1000, to = 9000, merge = false): string {
  return copyWithVocabulary(source, dir, version, (vocab) => {
    const words = Object.keys(vocab).filter((w) => vocab[w] >= from && vocab[w] < to && !w.startsWith('##')).sort((x, y) => vocab[x] - vocab[y]);
    const ids = words.map((w) => vocab[w]);
    words.forEach((w, i) => (vocab[w] = merge ? ids[0] : ids[(i + 1) % ids.length]));
  });
}

/** A copy under another version with its tokenizer's vocabulary edited (manifest.json updated to the new tokenizer.json's sha256). */
function copyWithVocabulary(source: string, dir: string, version: string, edit: (vocab: Record<string, number>) => void): string {
  const out = copyModelAs(source, dir, version);
  const tokPath = join(out, 'tokenizer.json');
  const tok = JSON.parse(readFileSync(tokPath, 'utf8'));
  edit(tok.model.vocab as Record<string, number>);
  const bytes = Buffer.from(JSON.stringify(tok));
  writeFileSync(tokPath, bytes);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  m.files['tokenizer.json'] = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(m));
  return out;
}

/** `text` with the whole words `a` and `b` swapped (what a copyWithSwappedWords model reads). */
export const swapWords = (text: string, a: string, b: string) => text.replace(new RegExp(`\\b(${a}|${b})\\b`, 'g'), (w) => (w === a ? b : a));
