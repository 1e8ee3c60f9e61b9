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

/** BertNormalizer with clean_text, handle_chinese_chars, lowercase and accent stripping. */
export function bertNormalize(text: string, lowercase = true, stripAccents = true): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.charCodeAt(0);
    if (cp === 0 || cp === 0xfffd) continue;
    if (ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch)) continue;
    out += SPACE.test(ch) ? ' ' : ch;
  }
  let spaced = '';
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    spaced += isChineseChar(c.charCodeAt(0)) ? ` ${c} ` : c;
  }
  if (lowercase) spaced = spaced.toLowerCase();
  if (stripAccents) spaced = spaced.normalize('NFD').replace(MARK, '');
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
  private readonly specialStarts: Set<string>;
  private readonly wordCache = new Map<string, number[]>();

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
    this.vocab = new Map(Object.entries(model.vocab));
    this.idToToken = [];
    for (const [token, id] of this.vocab) this.idToToken[id] = token;
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
      .map((t) => ({ content: t.content, id: t.id }))
      .sort((a, b) => b.content.length - a.content.length);
    this.specialStarts = new Set(this.specials.map((s) => s.content[0]));
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
      for (const chunk of whitespaceChunks(section)) {
        if (ids.length >= budget) break;
        for (const word of bertPreTokenize(bertNormalize(chunk, this.lowercase, this.stripAccents))) {
          if (ids.length >= budget) break;
          for (const id of this.wordPiece(word)) ids.push(id);
        }
      }
    }
    return ids;
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
    const sequence = Math.max(...ids.map((x) => x.length));
    const batch = ids.length;
    const inputIds = new BigInt64Array(batch * sequence);
    const attentionMask = new BigInt64Array(batch * sequence);
    const tokenTypeIds = new BigInt64Array(batch * sequence);
    for (let b = 0; b < batch; b++) {
      const row = ids[b];
      for (let t = 0; t < sequence; t++) {
        const real = t < row.length;
        inputIds[b * sequence + t] = BigInt(real ? row[t] : this.padId);
        attentionMask[b * sequence + t] = real ? 1n : 0n;
        if (real && typeIds) tokenTypeIds[b * sequence + t] = BigInt(typeIds[b][t]);
      }
    }
    return { batch, sequence, inputIds, attentionMask, tokenTypeIds, ids };
  }

  tokens(text: string): string[] {
    return this.encode(text).map((id) => this.idToToken[id]);
  }

  /** Greedy longest-match-first WordPiece; a word with no full cover becomes [UNK]. */
  private wordPiece(word: string): number[] {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const chars = [...word];
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
          const piece = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
          found = this.vocab.get(piece);
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
    if (this.specials.length === 0) return [text];
    const out: Array<string | number> = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.specialStarts.has(text[i]) ? this.specials.find((s) => text.startsWith(s.content, i)) : undefined;
      if (hit) {
        if (i > start) out.push(text.slice(start, i));
        out.push(hit.id);
        i += hit.content.length;
        start = i;
      } else {
        i++;
      }
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  }
}
