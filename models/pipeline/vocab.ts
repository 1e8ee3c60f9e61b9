/**
 * Builds the product vocabulary from GloVe: the most frequent clean words, every word of the
 * store's own data that GloVe knows, single punctuation, and WordPiece sub-word pieces so that
 * typos and unseen words split into known pieces instead of becoming [UNK] (the OOV path).
 * Each entry says where its vector comes from: a GloVe word, or the mean of the GloVe words
 * that contain the piece at that position (fastText-style character n-gram vectors).
 */
import { bertNormalize, bertPreTokenize, type TokenizerJson } from '../../shared/tokenizer/wordpiece.ts';
import type { Glove } from './glove.ts';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const MAX_LENGTH = 128;

export interface VocabOptions {
  /** How many of GloVe's most frequent clean words to keep. */
  topWords: number;
  /** Continuation pieces (`##ing`) and word-initial pieces (`ret`) beyond single characters. */
  continuationPieces: number;
  initialPieces: number;
  /** Words that must be in the vocabulary when GloVe knows them (the product's own data). */
  domainText: string[];
}

export interface VocabEntry {
  token: string;
  /** GloVe rank of a whole word; undefined for specials and pieces. */
  gloveRank?: number;
  /** For pieces: the GloVe ranks of the words whose vectors are averaged. */
  sourceRanks?: number[];
}

/** The median GloVe rank of a piece's source words (the frequency it stands for); undefined otherwise. */
export function pieceRank(e: VocabEntry): number | undefined {
  if (!e.sourceRanks || e.sourceRanks.length === 0) return undefined;
  const sorted = [...e.sourceRanks].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const DEFAULT_VOCAB: Omit<VocabOptions, 'domainText'> = {
  topWords: 30_000,
  continuationPieces: 4_000,
  initialPieces: 1_500,
};

const CLEAN_WORD = /^[\p{L}\p{N}]+$/u;
const PIECE_SOURCE_WORDS = 150_000;
const MAX_SOURCES = 400;

function isCleanWord(w: string): boolean {
  return CLEAN_WORD.test(w) && bertNormalize(w) === w;
}

function isSinglePunctuation(w: string): boolean {
  const pieces = bertPreTokenize(w);
  return pieces.length === 1 && pieces[0] === w && [...w].length === 1 && !CLEAN_WORD.test(w);
}

export function buildVocab(glove: Glove, opts: VocabOptions): VocabEntry[] {
  const entries: VocabEntry[] = SPECIAL_TOKENS.map((token) => ({ token }));
  const seen = new Set<string>(SPECIAL_TOKENS);
  const add = (e: VocabEntry) => {
    if (seen.has(e.token)) return;
    seen.add(e.token);
    entries.push(e);
  };

  let kept = 0;
  for (let r = 0; r < glove.words.length && kept < opts.topWords; r++) {
    const w = glove.words[r];
    if (isCleanWord(w)) {
      add({ token: w, gloveRank: r });
      kept++;
    } else if (r < 50_000 && isSinglePunctuation(w)) {
      add({ token: w, gloveRank: r });
    }
  }
  const domainWords = new Set<string>();
  for (const text of opts.domainText) for (const w of bertPreTokenize(bertNormalize(text))) domainWords.add(w);
  for (const w of [...domainWords].sort()) {
    const r = glove.rank.get(w);
    if (r !== undefined && isCleanWord(w)) add({ token: w, gloveRank: r });
  }

  // Sub-word pieces, counted over clean alphabetic words (type counts, not token counts).
  const contCount = new Map<string, number[]>();
  const initCount = new Map<string, number[]>();
  const singleChars = new Set<string>();
  const push = (m: Map<string, number[]>, k: string, r: number) => {
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  };
  for (let r = 0; r < Math.min(PIECE_SOURCE_WORDS, glove.words.length); r++) {
    const w = glove.words[r];
    if (!isCleanWord(w)) continue;
    const chars = [...w];
    for (const c of chars) singleChars.add(c);
    for (let len = 2; len <= 5 && len < chars.length; len++) push(initCount, chars.slice(0, len).join(''), r);
    for (let i = 1; i < chars.length; i++) {
      for (let len = 1; len <= 5 && i + len <= chars.length; len++) {
        push(contCount, '##' + chars.slice(i, i + len).join(''), r);
      }
    }
  }
  const sources = (ranks: number[] | undefined) => (ranks ?? []).slice(0, MAX_SOURCES);
  for (const c of [...singleChars].sort()) {
    add({ token: c, gloveRank: glove.rank.get(c), sourceRanks: glove.rank.has(c) ? undefined : sources(initCount.get(c) ?? contCount.get('##' + c)) });
    add({ token: '##' + c, sourceRanks: sources(contCount.get('##' + c)) });
  }
  const top = (m: Map<string, number[]>, n: number) =>
    [...m.entries()]
      .filter(([k]) => !seen.has(k))
      .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
      .slice(0, n);
  for (const [token, ranks] of top(contCount, opts.continuationPieces)) add({ token, sourceRanks: sources(ranks) });
  for (const [token, ranks] of top(initCount, opts.initialPieces)) add({ token, sourceRanks: sources(ranks) });
  return entries;
}

/** The HF `tokenizer.json` for a vocabulary (BERT WordPiece, lowercasing, accent stripping). */
export function tokenizerJson(entries: VocabEntry[]): TokenizerJson & Record<string, unknown> {
  const vocab: Record<string, number> = {};
  entries.forEach((e, i) => (vocab[e.token] = i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export function tokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_LENGTH,
    padding_side: 'right',
    truncation_side: 'right',
    clean_up_tokenization_spaces: true,
    unk_token: '[UNK]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    cls_token: '[CLS]',
    mask_token: '[MASK]',
  };
}
