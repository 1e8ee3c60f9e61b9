/**
 * The tokenizer's flat vocabulary (shared/tokenizer/vocabulary.ts) answers as the Map and array it
 * replaced: every token of the default embedder's vocabulary, word pieces looked up in place with
 * the `##` prefix, absent tokens, ids with no token, two tokens on one id, and non-BMP text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../shared/tokenizer/vocabulary.ts';

const vocab = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'models', 'default', 'embedder', 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>;

describe('Vocabulary', () => {
  const v = new Vocabulary(vocab);
  const entries = Object.entries(vocab);

  it('finds every token of a real vocabulary, and names every id as a plain array would', () => {
    const byId: string[] = [];
    for (const [token, id] of entries) byId[id] = token;
    expect(entries.length).toBeGreaterThan(10_000);
    expect(entries.filter(([token, id]) => v.idOf(token) !== id)).toEqual([]);
    expect(v.size).toBe(byId.length);
    expect(byId.filter((token, id) => v.token(id) !== token)).toEqual([]);
  });

  it('looks a piece up inside a longer text, with a prefix, without cutting it out', () => {
    const pieces = entries.filter(([t]) => t.startsWith('##') && t.length > 3).slice(0, 500);
    expect(pieces.length).toBe(500);
    for (const [token, id] of pieces) {
      const text = `xx${token.slice(2)}yy`;
      expect(v.idOf(text, 2, text.length - 2, '##')).toBe(id);
    }
    const word = entries.find(([t]) => /^[a-z]{6,}$/.test(t))!;
    expect(v.idOf(`  ${word[0]}!`, 2, 2 + word[0].length)).toBe(word[1]);
  });

  it('says undefined for what is not there: absent tokens, a prefix the token lacks, ids out of range', () => {
    const known = new Set(Object.keys(vocab));
    const absent = ['qqqzx', 'xylophonezzz', '##qqqzx', '', 'the the', 'ÿÿÿÿ'].filter((t) => !known.has(t));
    expect(absent.length).toBeGreaterThan(3);
    for (const t of absent) expect(v.idOf(t)).toBeUndefined();
    const plain = entries.find(([t]) => /^[a-z]{5,}$/.test(t) && !known.has(`##${t}`))!;
    expect(v.idOf(plain[0], 0, plain[0].length, '##')).toBeUndefined();
    expect(v.token(-1)).toBeUndefined();
    expect(v.token(v.size)).toBeUndefined();
  });

  it('keeps gaps in the ids, both tokens of a shared id, and text outside the BMP', () => {
    const odd = new Vocabulary({ '[UNK]': 0, a: 2, b: 5, c: 5, '𝄞': 3, '##𝄞x': 4 });
    expect(odd.size).toBe(6);
    expect([odd.token(1), odd.token(2), odd.token(3), odd.token(5)]).toEqual([undefined, 'a', '𝄞', 'c']);
    expect([odd.idOf('b'), odd.idOf('c'), odd.idOf('𝄞'), odd.idOf('y𝄞x', 1, 4, '##')]).toEqual([5, 5, 3, 4]);
    expect(() => new Vocabulary({ a: -1 })).toThrow(RangeError);
    expect(() => new Vocabulary({ a: 1.5 })).toThrow(RangeError);
  });
});

describe('knowsAWord (the tokenizer, over the flat vocabulary)', () => {
  it('is true for text with a word the vocabulary has, false for punctuation and unknown scripts alone, the second time too', async () => {
    const { WordPieceTokenizer } = await import('../shared/tokenizer/wordpiece.ts');
    const tok = new WordPieceTokenizer(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'models', 'default', 'embedder', 'tokenizer.json'), 'utf8')));
    for (let round = 0; round < 2; round++) {
      expect(tok.knowsAWord('where is my order?')).toBe(true);
      expect(tok.knowsAWord('42')).toBe(true);
      expect(tok.knowsAWord('?!... ,,, ;;')).toBe(false);
      expect(tok.knowsAWord('--- ~~~')).toBe(false);
      expect(tok.knowsAWord('\u{1F600}\u{1F600}')).toBe(false);
    }
  });
});
