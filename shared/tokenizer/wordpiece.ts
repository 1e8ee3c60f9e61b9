/**
 * The one tokenizer Switchyard runs everywhere (edge Worker, browser, Node).
 *
 * It reads a Hugging Face `tokenizer.json` of the BERT family (BertNormalizer, BertPreTokenizer,
 * WordPiece, TemplateProcessing `[CLS] $A [SEP]`) and produces exactly the ids that
 * transformers.js produces for the same file (tests/tokenizer-parity.test.ts holds it to that),
 * including its quirks: special-token strings typed by the user are matched literally, and
 * truncation cuts the encoded sequence (so a truncated input has no trailing `[SEP]`).
 *
 * Unlike the generic library it stops tokenizing once `maxLength` tokens are produced, so a
 * 100 KB message costs no more than a short one, and it fills int64 tensors directly.
 */

export interface TokenizerJson {
  added_tokens?: Array<{ id: number; content: string; special?: boolean; normalized?: boolean }>;
  normalizer?: {
    type: string;
    clean_text?: boolean;
    handle_chinese_chars?: boolean;
    strip_accents?: boolean | null;
    lowercase?: boolean;
  } | null;
  pre_tokenizer?: { type: string } | null;
  post_processor?: { type: string; [key: string]: unknown } | null;
  model: {
    type: string;
    unk_token: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
    vocab: Record<string, number>;
  };
}

export interface EncodedBatch {
  batch: number;
  sequence: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** The same ids as plain numbers, one array per input, without padding. */
  ids: number[][];
}

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const PRE_TOKEN = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');
const CONTROL = /^\p{Cc}|\p{Cf}|\p{Co}|\p{Cs}$/u;
const SPACE = /^\s$/;
const MARK = /\p{Mn}/gu;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0xf900 && cp <= 0xfaff)
  );
}

/**
 * How BertNormalizer and BertPreTokenizer see each ASCII character: dropped (control characters
 * other than tab, newline and carriage return), whitespace, punctuation, or part of a word.
 */
const DROP = 0;
const WHITE = 1;
const PUNCTUATION = 2;
const WORD = 3;
const ASCII_CLASS = Uint8Array.from({ length: 128 }, (_, c) => {
  if (c === 9 || c === 10 || c === 13 || c === 32) return WHITE;
  if (c < 32 || c === 127) return DROP;
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return WORD;
  return PUNCTUATION;
});

/** BertNormalizer with clean_text, handle_chinese_chars, lowercase and accent stripping. */
export function bertNormalize(text: string, lowercase = true, stripAccents = true): string {
  let out = '';
  let ascii = true;
  for (const ch of text) {
    const cp = ch.charCodeAt(0);
    if (cp < 128) {
      const k = ASCII_CLASS[cp];
      if (k !== DROP) out += k === WHITE ? ' ' : ch;
      continue;
    }
    ascii = false;
    if (cp === 0xfffd) continue;
    if (CONTROL.test(ch)) continue;
    out += SPACE.test(ch) ? ' ' : ch;
  }
  let spaced = out;
  if (!ascii) {
    spaced = '';
    for (let i = 0; i < out.length; i++) {
      const c = out[i];
      spaced += isChineseChar(c.charCodeAt(0)) ? ` ${c} ` : c;
    }
  }
  if (lowercase) spaced = spaced.toLowerCase();
  if (stripAccents && !ascii) spaced = spaced.normalize('NFD').replace(MARK, '');
  return spaced;
}

/** BertPreTokenizer: runs of non-space non-punctuation, and single punctuation characters. */
export function bertPreTokenize(text: string): string[] {
  return text.trim().match(PRE_TOKEN) ?? [];
}

const CHUNK = 2048;
const ASCII_SPACE = new Set([" ", "\t", "\n", "\r"]);

/**
 * Cuts long text at whitespace so that only as much of it as the token budget needs is
 * normalized. Whitespace separates words in every later step, so the result is unchanged.
 */
function* whitespaceChunks(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > CHUNK) {
    let cut = start + CHUNK;
    while (cut < text.length && !ASCII_SPACE.has(text[cut])) cut++;
    yield text.slice(start, cut);
    start = cut;
  }
  if (start < text.length) yield text.slice(start);
}

/**
 * int64 tensors are filled through their 32-bit words, with no BigInt per element: ids are
 * non-negative and below 2^31, so writing the low word (the even one on little-endian machines,
 * all current ones) writes the value.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function asInt64(words: Int32Array): BigInt64Array {
  if (LITTLE_ENDIAN) return new BigInt64Array(words.buffer);
  return BigInt64Array.from({ length: words.length / 2 }, (_, i) => BigInt(words[2 * i]));
}

export class WordPieceTokenizer {
  readonly vocab: Map<string, number>;
  readonly idToToken: string[];
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maxLength: number;
  private readonly prefix: string;
  private readonly maxCharsPerWord: number;
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;
  /** Special tokens matched literally in raw text, longest first. */
  private readonly specials: Array<{ content: string; id: number }>;
  /** The special tokens as one alternation, longest first (null when there are none). */
  private readonly specialPattern: RegExp | null;
  private readonly wordCache = new Map<string, number[]>();
  /** Per id: 1 when its token has a letter or digit, 2 when not, 0 not read yet (knowsAWord). */
  private wordPieces: Uint8Array | undefined;
  /** Ids of each ASCII punctuation character (one pre-token each). */
  private readonly punctuationIds: number[][] = [];

  constructor(json: TokenizerJson, options: { maxLength?: number } = {}) {
    const model = json.model;
    if (!model || model.type !== 'WordPiece') {
      throw new TokenizerError(`unsupported tokenizer model ${model?.type ?? 'missing'}: WordPiece expected`);
    }
    if (json.normalizer && json.normalizer.type !== 'BertNormalizer') {
      throw new TokenizerError(`unsupported normalizer ${json.normalizer.type}: BertNormalizer expected`);
    }
    if (json.pre_tokenizer && json.pre_tokenizer.type !== 'BertPreTokenizer') {
      throw new TokenizerError(`unsupported pre-tokenizer ${json.pre_tokenizer.type}: BertPreTokenizer expected`);
    }
    // One pass over the keys (30k+ of them): a fresh isolate parses this on its first request, and
    // Object.entries' pair arrays plus a second pass over the Map cost about three times as much.
    this.vocab = new Map();
    this.idToToken = [];
    const vocab = model.vocab;
    const tokens = Object.keys(vocab);
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      const id = vocab[token];
      this.vocab.set(token, id);
      this.idToToken[id] = token;
    }
    this.prefix = model.continuing_subword_prefix ?? '##';
    this.maxCharsPerWord = model.max_input_chars_per_word ?? 100;
    const norm = json.normalizer;
    this.lowercase = norm?.lowercase ?? true;
    this.stripAccents = norm?.strip_accents ?? this.lowercase;
    const need = (token: string) => {
      const id = this.vocab.get(token);
      if (id === undefined) throw new TokenizerError(`vocabulary lacks ${token}`);
      return id;
    };
    this.unkId = need(model.unk_token);
    this.padId = need('[PAD]');
    this.clsId = need('[CLS]');
    this.sepId = need('[SEP]');
    this.maxLength = options.maxLength ?? 128;
    if (this.maxLength < 2) throw new TokenizerError('maxLength must be at least 2');
    this.specials = (json.added_tokens ?? [])
      .filter((t) => t.normalized === false || (t.normalized === undefined && t.special))
      .filter((t) => t.content !== '')
      .map((t) => ({ content: t.content, id: t.id }))
      .sort((a, b) => b.content.length - a.content.length);
    this.specialPattern = this.specials.length
      ? new RegExp(this.specials.map((t) => t.content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
      : null;
    for (let c = 0; c < 128; c++) if (ASCII_CLASS[c] === PUNCTUATION) this.punctuationIds[c] = this.wordPiece(String.fromCharCode(c));
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** Ids of one text with [CLS] and [SEP], truncated to maxLength. */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw new TokenizerError('text must be a string');
    const limit = this.maxLength;
    const ids = [this.clsId, ...this.contentIds(text, limit - 1), this.sepId];
    if (ids.length > limit) ids.length = limit;
    return ids;
  }

  /**
   * True when the text has at least one word (letters or digits) in the vocabulary. False for
   * text the model cannot read at all — a script the vocabulary lacks, only punctuation — whose
   * prediction or embedding would mean nothing (the zero vector, a guess from [UNK] alone).
   */
  knowsAWord(text: string): boolean {
    const ids = this.contentIds(text, this.maxLength);
    return ids.some((id) => id !== this.unkId && this.isWordPiece(id));
  }

  /** Whether the id's token has a letter or a digit, read once per id and remembered (1 yes, 2 no). */
  private isWordPiece(id: number): boolean {
    const known = (this.wordPieces ??= new Uint8Array(this.idToToken.length));
    if (!known[id]) known[id] = /[\p{L}\p{N}]/u.test(this.idToToken[id] ?? '') ? 1 : 2;
    return known[id] === 1;
  }

  /**
   * A (query, passage) pair as BERT encodes it: `[CLS] a [SEP] b [SEP]`, token types 0 up to and
   * including the first `[SEP]`, 1 after it. Truncation is what transformers.js does for
   * `tokenizer(a, { text_pair: b, truncation: true })`: the whole pair is cut to maxLength from the
   * right, so a long passage loses its tail (and its final `[SEP]`) while the query stays whole,
   * unless the query alone fills maxLength. Like transformers.js, an empty passage (`''`) means no
   * pair at all: `[CLS] a [SEP]`.
   */
  encodePair(a: string, b: string): { ids: number[]; typeIds: number[] } {
    if (typeof a !== 'string' || typeof b !== 'string') throw new TokenizerError('text and text pair must be strings');
    const limit = this.maxLength;
    const first = [this.clsId, ...this.contentIds(a, limit - 1), this.sepId];
    const second = b === '' ? [] : [...this.contentIds(b, limit - first.length), this.sepId];
    const ids = [...first, ...second];
    const typeIds = [...first.map(() => 0), ...second.map(() => 1)];
    if (ids.length > limit) (ids.length = limit), (typeIds.length = limit);
    return { ids, typeIds };
  }

  /**
   * Word-piece ids of a text without special tokens; tokenizing stops once `budget` ids are
   * produced (the last word may overshoot, the caller cuts).
   */
  private contentIds(text: string, budget: number): number[] {
    const ids: number[] = [];
    for (const section of this.splitSpecials(text)) {
      if (ids.length >= budget) break;
      if (typeof section === 'number') {
        ids.push(section);
        continue;
      }
      const rest = this.asciiIds(section, ids, budget);
      if (rest < section.length) this.generalIds(rest ? section.slice(rest) : section, ids, budget);
    }
    return ids;
  }

  /** Any text: BertNormalizer, BertPreTokenizer and WordPiece step by step, chunk by chunk. */
  private generalIds(section: string, ids: number[], budget: number): void {
    for (const chunk of whitespaceChunks(section)) {
      if (ids.length >= budget) return;
      for (const word of bertPreTokenize(bertNormalize(chunk, this.lowercase, this.stripAccents))) {
        if (ids.length >= budget) return;
        for (const id of this.wordPiece(word)) ids.push(id);
      }
    }
  }

  /**
   * The same for plain ASCII (most messages) in one pass over the character codes, with no
   * normalized copy of the text: for ASCII, BertNormalizer only lowercases and BertPreTokenizer
   * splits at whitespace and punctuation. At the first character this pass does not handle
   * (non-ASCII, or a control character) it takes back the ids since the last whitespace and
   * returns that position for {@link generalIds} to continue from: whitespace separates words in
   * every step (normalization, lowercasing, pre-tokenizing), so the split changes nothing. Returns
   * `s.length` when it handled everything (or the budget is spent).
   */
  private asciiIds(s: string, ids: number[], budget: number): number {
    const n = s.length;
    let resumeAt = 0;
    let idsAtResume = ids.length;
    let wordStart = -1;
    let upper = false;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? s.charCodeAt(i) : 32;
      const k = c < 128 ? ASCII_CLASS[c] : DROP;
      if (k === WORD) {
        if (wordStart < 0) (wordStart = i), (upper = false);
        if (c >= 65 && c <= 90) upper = true;
        continue;
      }
      if (k === DROP) {
        ids.length = idsAtResume;
        return resumeAt;
      }
      if (wordStart >= 0) {
        if (ids.length >= budget) return n;
        const word = s.slice(wordStart, i);
        for (const id of this.wordPiece(upper && this.lowercase ? word.toLowerCase() : word)) ids.push(id);
        wordStart = -1;
      }
      if (k === WHITE) {
        resumeAt = i + 1;
        idsAtResume = ids.length;
      } else {
        if (ids.length >= budget) return n;
        for (const id of this.punctuationIds[c]) ids.push(id);
      }
    }
    return n;
  }

  /** A padded batch as int64 tensors, the layout every model graph takes. */
  encodeBatch(texts: string[]): EncodedBatch {
    if (!Array.isArray(texts) || texts.length === 0) throw new TokenizerError('texts must be a non-empty array');
    return this.pad(texts.map((t) => this.encode(t)));
  }

  /**
   * Padded (query, passage) pairs, `tokenizer(queries, { text_pair: passages, padding: true,
   * truncation: true })` in transformers.js: see {@link encodePair}.
   */
  encodePairBatch(queries: string[], passages: string[]): EncodedBatch {
    if (!Array.isArray(queries) || queries.length === 0) throw new TokenizerError('queries must be a non-empty array');
    if (!Array.isArray(passages) || passages.length !== queries.length) {
      throw new TokenizerError('passages must be an array as long as queries');
    }
    const pairs = queries.map((q, i) => this.encodePair(q, passages[i]));
    return this.pad(
      pairs.map((p) => p.ids),
      pairs.map((p) => p.typeIds),
    );
  }

  private pad(ids: number[][], typeIds?: number[][]): EncodedBatch {
    let sequence = 0;
    for (const row of ids) if (row.length > sequence) sequence = row.length;
    const batch = ids.length;
    const inputIds = new Int32Array(batch * sequence * 2);
    const attentionMask = new Int32Array(batch * sequence * 2);
    const tokenTypeIds = new Int32Array(batch * sequence * 2);
    for (let b = 0; b < batch; b++) {
      const row = ids[b];
      const types = typeIds?.[b];
      for (let t = 0, w = b * sequence * 2; t < sequence; t++, w += 2) {
        if (t < row.length) {
          inputIds[w] = row[t];
          attentionMask[w] = 1;
          if (types) tokenTypeIds[w] = types[t];
        } else {
          inputIds[w] = this.padId;
        }
      }
    }
    return { batch, sequence, inputIds: asInt64(inputIds), attentionMask: asInt64(attentionMask), tokenTypeIds: asInt64(tokenTypeIds), ids };
  }

  tokens(text: string): string[] {
    return this.encode(text).map((id) => this.idToToken[id]);
  }

  /** Greedy longest-match-first WordPiece; a word with no full cover becomes [UNK]. */
  private wordPiece(word: string): number[] {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    // Pieces are cut at code points; a word without surrogate pairs is cut as it is, with no copy.
    const chars: ArrayLike<string> = /[\ud800-\udfff]/.test(word) ? [...word] : word;
    const piece = (start: number, end: number) =>
      typeof chars === 'string' ? chars.slice(start, end) : Array.prototype.slice.call(chars, start, end).join('');
    let out: number[];
    if (chars.length > this.maxCharsPerWord) {
      out = [this.unkId];
    } else {
      out = [];
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (start < end) {
          found = this.vocab.get(start > 0 ? this.prefix + piece(start, end) : piece(start, end));
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          out = [this.unkId];
          break;
        }
        out.push(found);
        start = end;
      }
    }
    if (this.wordCache.size < 50_000) this.wordCache.set(word, out);
    return out;
  }

  /** Splits raw text on literal special tokens, as transformers.js does for added tokens. */
  private splitSpecials(text: string): Array<string | number> {
    // The leftmost match, and at one position the longest special (the alternation's order).
    const pattern = this.specialPattern;
    if (!pattern) return [text];
    pattern.lastIndex = 0;
    let m = pattern.exec(text);
    if (!m) return [text];
    const out: Array<string | number> = [];
    let start = 0;
    for (; m; m = pattern.exec(text)) {
      if (m.index > start) out.push(text.slice(start, m.index));
      out.push(this.specials.find((s) => s.content === m![0])!.id);
      start = m.index + m[0].length;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  }
}
