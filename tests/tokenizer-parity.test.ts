import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env as hfEnv } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from '../shared/tokenizer/wordpiece.ts';
import { loadClinc150, loadBanking77, mulberry32, repoRoot } from '../models/pipeline/datasets.ts';
import { storeTexts } from '../models/pipeline/store-data.ts';

const DIR = join(repoRoot(), 'models', 'default');

/** A few thousand varied strings: store, CLINC150, Banking77 texts, and hand-made hard cases. */
function corpus(): string[] {
  const clinc = loadClinc150();
  const banking = loadBanking77();
  const hard = [
    '',
    '   ',
    'Where is my pakage??',
    'Çà et là, naïve café — résumé',
    'Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ and ﬁ ligatures',
    '東京の本屋さんで漫画を買いました',
    '한국어 만화 책',
    'Привет, где мой заказ KB-48213?',
    'مرحبا كيف حالك',
    'emoji 📦🚚✨ and 👨‍👩‍👧 family',
    'tabs\tand\nnewlines\r\nand\u000bvertical',
    'control\u0000chars\u0007here\u200b\ufeffzero-width',
    'literal [CLS] and [SEP] and [MASK] tokens [UNK][PAD]',
    'a'.repeat(150) + ' short',
    'supercalifragilisticexpialidocious antidisestablishmentarianism',
    'price $12.99, 30% off!!! (limited) #deal @store ~~~',
    'x'.repeat(50) + '-' + 'y'.repeat(60),
    'word '.repeat(400),
    'combining e\u0301 and a\u0308 and n\u0303',
    '\ud83d lone surrogate \udc00 here',
  ];
  return [
    ...hard,
    ...generated(1500),
    ...storeTexts().slice(0, 1500),
    ...clinc.test.slice(0, 1500).map((e) => e.text),
    ...banking.test.slice(0, 1000).map((e) => e.text),
  ];
}

/**
 * Seeded random strings that walk every branch of the tokenizer: all ASCII characters (controls,
 * punctuation, both cases), special-token strings, and non-ASCII pieces (accents, combining marks,
 * CJK, Greek capital sigma after an apostrophe, emoji, lone surrogates) at random places, so the
 * ASCII fast path and the general path meet at every kind of boundary.
 */
function generated(n: number): string[] {
  const rand = mulberry32(4242);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const words = ['Shipping', 'order', 'KB-48213', 'pakage', 'MANGA', 'don\'t', 'e-mail', 'x'.repeat(120), 'retrun', '12.99'];
  const odd = ['é', 'e\u0301', 'Ç', 'ﬁ', '東京', 'Σ', 'ΑΣ', '\u00a0', '\u2003', '\u200b', '\ufeff', '📦', '\ud83d', '\ufffd', 'ß', 'İ', '\u000b', '\u0000', '\u007f'];
  const specials = ['[CLS]', '[SEP]', '[MASK]', '[UNK]', '[PAD]', '[SEP'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const parts = 1 + Math.floor(rand() * 12);
    for (let p = 0; p < parts; p++) {
      const r = rand();
      if (r < 0.35) s += pick(words);
      else if (r < 0.6) s += String.fromCharCode(Math.floor(rand() * 128));
      else if (r < 0.72) s += pick(odd);
      else if (r < 0.8) s += pick(specials);
      else s += pick([' ', ' ', '  ', '\t', '\n', "'", '.', ',', '?']);
    }
    out.push(s);
  }
  return out;
}

/** The default embedder's tokenizer.json: ours (with `opts`) and transformers.js's, from the local folder only. */
const ourTokenizer = (opts?: { maxLength: number }) => new WordPieceTokenizer(JSON.parse(readFileSync(join(DIR, 'embedder', 'tokenizer.json'), 'utf8')), opts);

async function bothTokenizers() {
  hfEnv.allowRemoteModels = false;
  hfEnv.localModelPath = DIR;
  hfEnv.useFSCache = false;
  return { hf: await AutoTokenizer.from_pretrained('embedder'), ours: ourTokenizer({ maxLength: 128 }) };
}

/** How many items transformers.js (`expected`) and we (`got`) encode differently, and the first five of them shown. */
function mismatches<T, E, G>(items: readonly T[], expected: (x: T) => E, got: (x: T) => G, show: (x: T, e: E, g: G) => string): { count: number; examples: string[] } {
  let count = 0;
  const examples: string[] = [];
  for (const x of items) {
    const e = expected(x);
    const g = got(x);
    if (JSON.stringify(e) !== JSON.stringify(g)) {
      count++;
      if (examples.length < 5) examples.push(show(x, e, g));
    }
  }
  return { count, examples };
}

describe('tokenizer parity with transformers.js', () => {
  it('gives the same ids as transformers.js on the same tokenizer.json over thousands of strings', async () => {
    const { hf, ours } = await bothTokenizers();
    const texts = corpus();
    expect(texts.length).toBeGreaterThan(3000);
    const r = mismatches(
      texts,
      (text) => Array.from(hf(text, { truncation: true }).input_ids.data as BigInt64Array, Number),
      (text) => ours.encode(text),
      (text, expected, got) => `${JSON.stringify(text.slice(0, 60))}: ${expected.slice(0, 12)} vs ${got.slice(0, 12)}`,
    );
    expect(r.examples).toEqual([]);
    expect(r.count).toBe(0);
  });

  it('encodes (query, passage) pairs as transformers.js does with text_pair, truncation included', async () => {
    const { hf, ours } = await bothTokenizers();
    const texts = corpus();
    const queries = [...texts.slice(0, 20), ...texts.slice(1500, 1700)];
    // Each query with a short, a long, an empty and a whitespace-only passage, and some store text.
    const pairs = queries.flatMap((q, i) => [
      [q, texts[(i * 7 + 3) % texts.length]],
      [q, 'word '.repeat(300)],
      [q, ''],
      [q, '  '],
      [texts[(i * 13 + 5) % texts.length], q],
    ]);
    const r = mismatches(
      pairs,
      ([a, b]) => {
        const e = hf(a, { text_pair: b, truncation: true });
        return { ids: Array.from(e.input_ids.data as BigInt64Array, Number), typeIds: Array.from(e.token_type_ids!.data as BigInt64Array, Number) };
      },
      ([a, b]) => ours.encodePair(a, b),
      ([a, b]) => `${JSON.stringify(a.slice(0, 30))} / ${JSON.stringify(b.slice(0, 30))}`,
    );
    expect(r.examples).toEqual([]);
    expect(r.count).toBe(0);
    const batchA = pairs.slice(0, 40).map((p) => p[0]);
    const batchB = pairs.slice(0, 40).map((p) => p[1]);
    const e = hf(batchA, { text_pair: batchB, padding: true, truncation: true });
    const got = ours.encodePairBatch(batchA, batchB);
    expect(got.sequence).toBe(e.input_ids.dims[1]);
    expect(Array.from(got.inputIds)).toEqual(Array.from(e.input_ids.data as BigInt64Array));
    expect(Array.from(got.attentionMask)).toEqual(Array.from(e.attention_mask.data as BigInt64Array));
    expect(Array.from(got.tokenTypeIds)).toEqual(Array.from(e.token_type_ids!.data as BigInt64Array));
    expect(() => ours.encodePairBatch(['a'], ['b', 'c'])).toThrow(/as long as/);
  });

  it('splits unseen and misspelled words into known pieces instead of [UNK]', () => {
    const ours = ourTokenizer();
    for (const word of ['pakage', 'retrun', 'shippping', 'frieren', 'mangaaaa']) {
      const tokens = ours.tokens(word);
      expect(tokens).not.toContain('[UNK]');
      expect(tokens.length).toBeGreaterThan(2);
    }
    expect(ours.vocabSize).toBeGreaterThan(30_000);
    expect(ours.vocabSize).toBeLessThan(60_000);
  });

  it('truncates a 100 KB message to the model length quickly and rejects non-strings', () => {
    const ours = ourTokenizer();
    const ids = ours.encode('where is my order '.repeat(6000));
    expect(ids.length).toBe(128);
    expect(() => ours.encode(42 as unknown as string)).toThrow(/string/);
  });
});
