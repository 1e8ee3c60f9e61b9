/**
 * The tokenizer's knowsAWord (whether a message has any word the models can read): true for text
 * with a known word, false for punctuation or a script the vocabulary lacks, and the same the
 * second time, when each id's answer is remembered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from '../shared/tokenizer/wordpiece.ts';

describe('knowsAWord', () => {
  it('is true for text with a word the vocabulary has, false for punctuation and unknown scripts alone, the second time too', () => {
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
