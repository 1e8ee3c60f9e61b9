/**
 * The regional retrieval layer: chunker boundaries and overlap, RRF arithmetic, ingestion, and
 * hybrid search over the real store KB seeded into a real SQLite store with the real default
 * embedder (questions.jsonl: recall@5 and nDCG@10 for text-only, vector-only and hybrid), plus the
 * text-only degradation when the embedder fails or is too slow.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WordPieceTokenizer } from '../shared/tokenizer/wordpiece.ts';
import { chunkText, estimateTokens, type TextChunk } from '../regional/src/retrieval/chunker.ts';
import { DEFAULT_EMBEDDER_DIR, loadLocalEmbedder, type Embedder } from '../regional/src/retrieval/embedder.ts';
import { RetrievalError } from '../regional/src/retrieval/errors.ts';
import { hybridSearch } from '../regional/src/retrieval/hybrid.ts';
import { ingestDocument } from '../regional/src/retrieval/ingest.ts';
import { reciprocalRankFusion } from '../regional/src/retrieval/rrf.ts';
import { slugify } from '../models/pipeline/store-data.ts';
import { loadStoreKb, policyDocuments, seedStoreKb, STORE_KB_DIR } from '../regional/src/retrieval/store-kb.ts';
import { openStore } from '../regional/src/store/open.ts';
import type { Store } from '../regional/src/store/types.ts';

const sentence = (i: number) => `Sentence number ${i} talks about shipping rules and return windows for order ${i}.`;
/** The chunk without its heading lines. */
const body = (c: TextChunk) =>
  c.text
    .split('\n')
    .filter((l) => !/^#{1,6} /.test(l))
    .join('\n')
    .trim();

describe('chunker', () => {
  it('keeps a short text whole and counts its tokens', () => {
    const text = 'Standard shipping is $4.99. It is free over $50.';
    const [only, ...rest] = chunkText(text);
    expect(rest).toEqual([]);
    expect(only).toEqual({ text, tokenCount: estimateTokens(text), headings: [] });
    expect(estimateTokens('Free over $50.00!')).toBe(7); // Free over $ 50 . 00 !
    expect(chunkText('one two three', { unit: 'words', size: 8, overlap: 0 })[0].tokenCount).toBe(3);
    expect(chunkText('   \n\n ')).toEqual([]);
  });

  it('cuts at sentence boundaries within the size, covering every sentence in order', () => {
    const sentences = Array.from({ length: 30 }, (_, i) => sentence(i));
    const chunks = chunkText(sentences.join(' '), { size: 60, overlap: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(60);
      expect(c.text).toMatch(/^Sentence number \d+ .*\.$/s); // starts and ends on a sentence boundary
    }
    // no overlap: the chunks are the sentences, each exactly once, in order
    expect(chunks.map((c) => c.text).join(' ')).toBe(sentences.join(' '));
  });

  it('repeats whole trailing sentences as overlap', () => {
    const sentences = Array.from({ length: 30 }, (_, i) => sentence(i));
    const chunks = chunkText(sentences.join(' '), { size: 60, overlap: 18 });
    for (let i = 1; i < chunks.length; i++) {
      const prevLast = chunks[i - 1].text.match(/Sentence number \d+[^.]*\.$/)![0];
      expect(chunks[i].text.startsWith(prevLast)).toBe(true);
      expect(chunks[i].tokenCount).toBeLessThanOrEqual(60);
    }
    const seen = new Set(chunks.flatMap((c) => c.text.match(/Sentence number \d+/g)!));
    expect(seen.size).toBe(30);
  });

  it('prefers paragraph boundaries and splits an overlong sentence between words with word overlap', () => {
    const paras = ['Alpha paragraph one. It is short.', 'Beta paragraph two. Also short.', 'Gamma paragraph three. Short again.'];
    const chunks = chunkText(paras.join('\n\n'), { size: 12, overlap: 0 });
    expect(chunks.map((c) => c.text)).toEqual(paras);

    const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
    const long = chunkText(words.join(' '), { unit: 'words', size: 50, overlap: 10 });
    for (const c of long) expect(c.tokenCount).toBeLessThanOrEqual(50);
    for (let i = 1; i < long.length; i++) {
      const prev = long[i - 1].text.split(' ');
      expect(long[i].text.split(' ').slice(0, 10)).toEqual(prev.slice(-10));
    }
    expect(long[long.length - 1].text.endsWith('w299')).toBe(true);
  });

  it('keeps markdown headings with their section and repeats the heading path in every chunk', () => {
    const md = [
      '## Shipping',
      '',
      '### International',
      '',
      ...Array.from({ length: 12 }, (_, i) => `- Country ${i} ships by DHL in ${i + 3} business days for $${i + 10}.99 flat.`),
      '',
      '### Other details',
      '',
      'Packaging is plain brown.',
      '',
      '## Returns',
      '',
      'Returns are accepted within 30 days.',
    ].join('\n');
    const chunks = chunkText(md, { size: 60, overlap: 0 });
    const intl = chunks.filter((c) => c.headings.join('|') === '## Shipping|### International');
    expect(intl.length).toBeGreaterThan(2);
    for (const c of intl) {
      expect(c.text.startsWith('## Shipping\n### International\n\n- Country')).toBe(true);
      expect(c.tokenCount).toBeLessThanOrEqual(60);
    }
    for (const c of chunks) expect(c.text.split('\n').pop()).not.toMatch(/^#/); // never ends on a heading
    // small consecutive sections share a chunk; a new top-level section opens its own heading
    const tail = chunks[chunks.length - 1];
    expect(tail.text).toContain('### Other details\n\nPackaging is plain brown.');
    expect(tail.text).toContain('## Returns\n\nReturns are accepted within 30 days.');
    expect(tail.text).not.toContain('## Shipping\n### Other details\n\nPackaging is plain brown.\n\n## Shipping');
    // every list item survives exactly once (no overlap)
    const items = chunks.flatMap((c) => body(c).match(/- Country \d+/g) ?? []);
    expect(items).toEqual(Array.from({ length: 12 }, (_, i) => `- Country ${i}`));
  });

  it('refuses bad options with INVALID_INPUT', () => {
    for (const opts of [{ size: 0 }, { size: 4 }, { size: 50, overlap: 30 }, { size: 50, overlap: -1 }, { unit: 'chars' as never }]) {
      expect(() => chunkText('x', opts)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

describe('reciprocal rank fusion', () => {
  it('sums 1/(k + rank) over the lists, with k = 60 by default', () => {
    const fused = reciprocalRankFusion([['x', 'y', 'z'], ['y', 'w']], (s) => s);
    expect(fused.map((f) => f.key)).toEqual(['y', 'x', 'w', 'z']);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1].score).toBeCloseTo(1 / 61, 12);
    expect(fused[2].score).toBeCloseTo(1 / 62, 12);
    expect(fused[3].score).toBeCloseTo(1 / 63, 12);
    expect(fused.map((f) => f.ranks)).toEqual([
      [2, 1],
      [1, null],
      [null, 2],
      [3, null],
    ]);
  });

  it('applies k and weights, ignores duplicates within a list and breaks ties by best rank', () => {
    const fused = reciprocalRankFusion([['a', 'b', 'a'], ['b', 'a']], (s) => s, { k: 0, weights: [1, 0.5] });
    expect(fused.find((f) => f.key === 'a')!.score).toBeCloseTo(1 + 0.5 / 2, 12);
    expect(fused.find((f) => f.key === 'b')!.score).toBeCloseTo(1 / 2 + 0.5, 12);
    const tie = reciprocalRankFusion([['p', 'q'], ['q', 'p']], (s) => s);
    expect(tie[0].score).toBe(tie[1].score);
    expect(tie.map((f) => f.key)).toEqual(['p', 'q']);
    expect(() => reciprocalRankFusion([['a']], (s) => s, { weights: [1, 2] })).toThrow(RangeError);
  });
});

interface Question {
  question: string;
  relevant: string[];
}

/** recall@5 (any relevant document in the top 5) and nDCG@10 over document ids (chunk hits collapsed to their document). */
function score(questions: Question[], rankings: string[][]): { recallAt5: number; ndcgAt10: number } {
  let hits = 0;
  let ndcg = 0;
  rankings.forEach((chunkDocs, i) => {
    const docs = [...new Set(chunkDocs)];
    const rel = new Set(questions[i].relevant);
    if (docs.slice(0, 5).some((d) => rel.has(d))) hits++;
    let dcg = 0;
    docs.slice(0, 10).forEach((d, j) => {
      if (rel.has(d)) dcg += 1 / Math.log2(j + 2);
    });
    let ideal = 0;
    for (let j = 0; j < Math.min(10, rel.size); j++) ideal += 1 / Math.log2(j + 2);
    ndcg += dcg / ideal;
  });
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { recallAt5: round(hits / rankings.length), ndcgAt10: round(ndcg / rankings.length) };
}

describe('hybrid retrieval over the store KB', () => {
  let dir = '';
  let store: Store;
  let embedder: Awaited<ReturnType<typeof loadLocalEmbedder>>;
  let questions: Question[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-retrieval-'));
    embedder = await loadLocalEmbedder();
    store = await openStore(join(dir, 'kb.db'), { dimensions: embedder.dimensions, embeddingVersion: embedder.name, domain: 'test' });
    questions = (await readFile(join(STORE_KB_DIR, 'questions.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Question);
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('seeds every KB document once, then only what changed', async () => {
    const first = await seedStoreKb(store, embedder);
    const docs = await loadStoreKb();
    expect(first).toMatchObject({ documents: docs.length, ingested: docs.length, unchanged: 0, deleted: 0 });
    expect(docs.filter((d) => d.id.startsWith('KB-SKU-')).length).toBe(209);
    expect(docs.filter((d) => d.id.startsWith('faq-')).length).toBe(42);
    const stats = await store.stats();
    expect(stats).toEqual({ documents: docs.length, chunks: first.chunks, embeddedChunks: first.chunks });
    // every id the questions call relevant is a document
    for (const q of questions) for (const id of q.relevant) expect(await store.getDocument(id), id).not.toBeNull();
    expect(slugify('Store hours & contact')).toBe('store-hours-contact');

    expect(await seedStoreKb(store, embedder)).toMatchObject({ ingested: 0, unchanged: docs.length, deleted: 0 });
    // a KB document that disappeared from the files is removed, and a changed one re-ingested
    await store.upsertDocument({ id: 'faq-999', title: 'gone', source: 'store-kb', contentHash: 'x' }, []);
    await store.upsertDocument({ id: 'faq-001', title: 'stale', source: 'store-kb', contentHash: 'stale' }, []);
    expect(await seedStoreKb(store, embedder)).toMatchObject({ ingested: 1, unchanged: docs.length - 1, deleted: 1 });
    expect(await store.getDocument('faq-999')).toBeNull();
    expect((await store.getDocument('faq-001'))!.chunks.length).toBe(1);
  });

  it('makes chunks that fit the embedder window and keep their policy headings', async () => {
    const tokenizer = new WordPieceTokenizer(JSON.parse(await readFile(join(DEFAULT_EMBEDDER_DIR, 'tokenizer.json'), 'utf8')), { maxLength: 100_000 });
    const docs = await loadStoreKb();
    for (const d of docs) {
      for (const c of (await store.getDocument(d.id))!.chunks) expect(tokenizer.encode(c.text).length, `${d.id}#${c.ordinal}`).toBeLessThanOrEqual(embedder.maxTokens);
    }
    const policies = policyDocuments(await readFile(join(STORE_KB_DIR, 'policies.md'), 'utf8'));
    expect(policies.map((p) => p.id)).toEqual([
      'policies#kitsune-books-store-policies',
      'policies#shipping',
      'policies#returns-refunds',
      'policies#store-hours-contact',
      'policies#orders',
      'policies#payment',
      'policies#preorders',
      'policies#stock-pricing',
      'policies#privacy',
    ]);
    const returns = (await store.getDocument('policies#returns-refunds'))!;
    expect(returns.chunks.length).toBeGreaterThan(2);
    for (const c of returns.chunks) expect(c.text.startsWith('## Returns & Refunds\n')).toBe(true);
  });

  it('finds the relevant document in the top 5 for most questions (text, vector, hybrid)', async () => {
    const text: string[][] = [];
    const vector: string[][] = [];
    const hybrid: string[][] = [];
    for (const q of questions) {
      text.push((await store.searchText(q.question, 50)).map((h) => h.documentId));
      const [v] = await embedder.embed([q.question]);
      vector.push((await store.searchVector(v, 50)).map((h) => h.documentId));
      const r = await hybridSearch(store, embedder, q.question, { k: 30 });
      expect(r.fallbacks).toEqual([]);
      expect(r.hits.length).toBe(30);
      for (let i = 1; i < r.hits.length; i++) expect(r.hits[i - 1].score).toBeGreaterThanOrEqual(r.hits[i].score);
      for (const h of r.hits) {
        expect(h.textRank !== null || h.vectorRank !== null).toBe(true);
        expect(h.score).toBeCloseTo((h.textRank ? 1 / (60 + h.textRank) : 0) + (h.vectorRank ? 1 / (60 + h.vectorRank) : 0), 12);
      }
      hybrid.push(r.hits.map((h) => h.documentId));
    }
    const metrics = { text: score(questions, text), vector: score(questions, vector), hybrid: score(questions, hybrid) };
    console.log(`store KB retrieval (${questions.length} questions, SQLite):`, JSON.stringify(metrics));
    // measured (embedder 2.0.0): text 0.969 / 0.888, vector 0.815 / 0.672, hybrid 0.938 / 0.836;
    // the unsupervised 1.0.0 gave vector 0.877 / 0.736 (its rows suit question → passage better)
    expect(metrics.hybrid.recallAt5).toBeGreaterThanOrEqual(0.9);
    expect(metrics.hybrid.ndcgAt10).toBeGreaterThanOrEqual(0.8);
    expect(metrics.text.recallAt5).toBeGreaterThanOrEqual(0.92);
    expect(metrics.vector.recallAt5).toBeGreaterThanOrEqual(0.78);
  });

  it('returns both ranks and respects maxPerDocument', async () => {
    const r = await hybridSearch(store, embedder, 'How long do I have to return a damaged book?', { k: 10, maxPerDocument: 1 });
    expect(new Set(r.hits.map((h) => h.documentId)).size).toBe(r.hits.length);
    expect(r.hits.some((h) => h.textRank !== null && h.vectorRank !== null)).toBe(true);
    const both = r.hits.find((h) => h.textRank !== null && h.vectorRank !== null)!;
    expect(both.textScore).toBeGreaterThan(0);
    expect(both.vectorScore).toBeGreaterThan(0);
    expect(both).toMatchObject({ title: expect.any(String), text: expect.any(String), chunkId: expect.any(Number) });
  });

  it('falls back to text-only results when the embedder fails or times out', async () => {
    const query = 'Do you ship to Alaska and Hawaii?';
    const textOnly = await store.searchText(query, 50);
    const failing: Embedder = { name: embedder.name, dimensions: embedder.dimensions, embed: async () => Promise.reject(new Error('model crashed')) };
    const failed = await hybridSearch(store, failing, query, { k: 10 });
    expect(failed.fallbacks).toEqual(['embedder_error']);
    expect(failed.hits.map((h) => h.chunkId)).toEqual(textOnly.slice(0, 10).map((h) => h.chunkId));
    failed.hits.forEach((h, i) => expect(h).toMatchObject({ textRank: i + 1, vectorRank: null, vectorScore: null }));

    let seen: AbortSignal | undefined;
    const hanging: Embedder = {
      name: embedder.name,
      dimensions: embedder.dimensions,
      embed: (_texts, signal) => {
        seen = signal;
        return new Promise(() => {});
      },
    };
    const slow = await hybridSearch(store, hanging, query, { k: 10, embedTimeoutMs: 50 });
    expect(slow.fallbacks).toEqual(['embedder_timeout']);
    expect(slow.hits.map((h) => h.chunkId)).toEqual(textOnly.slice(0, 10).map((h) => h.chunkId));
    expect(seen?.aborted).toBe(true);

    const wrongShape: Embedder = { name: embedder.name, dimensions: embedder.dimensions, embed: async () => [new Float32Array(3)] };
    expect((await hybridSearch(store, wrongShape, query, { k: 5 })).fallbacks).toEqual(['embedder_error']);
    await expect(hybridSearch(store, embedder, query, { k: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('ingests only what changed and refuses an embedder the store was not opened for', async () => {
    const doc = { id: 'note-1', title: 'Gift wrap', text: 'We offer gift wrap for $3.99 per order.', source: 'admin' };
    expect(await ingestDocument(store, embedder, doc)).toMatchObject({ status: 'ingested', chunks: 1 });
    expect(await ingestDocument(store, embedder, doc)).toMatchObject({ status: 'unchanged', chunks: 1 });
    expect(await ingestDocument(store, embedder, { ...doc, text: 'Gift wrap is free this month.' })).toMatchObject({ status: 'ingested' });
    expect((await store.searchText('gift wrap', 3))[0]).toMatchObject({ documentId: 'note-1', text: 'Gift wrap is free this month.' });

    const other: Embedder = { ...embedder, name: 'another-embedder@2.0.0', embed: embedder.embed };
    await expect(ingestDocument(store, other, doc)).rejects.toMatchObject({ code: 'EMBEDDING_VERSION_MISMATCH' });
    const narrow: Embedder = { name: embedder.name, dimensions: 8, embed: embedder.embed };
    await expect(ingestDocument(store, narrow, doc)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    await expect(ingestDocument(store, embedder, { ...doc, text: '  ' })).rejects.toBeInstanceOf(RetrievalError);
    const broken: Embedder = { name: embedder.name, dimensions: embedder.dimensions, embed: async () => Promise.reject(new Error('boom')) };
    await expect(ingestDocument(store, broken, { ...doc, text: 'changed again' })).rejects.toMatchObject({ code: 'EMBEDDER_ERROR' });
    expect((await store.getDocument('note-1'))!.chunks[0].text).toBe('Gift wrap is free this month.');
    expect(await store.deleteDocument('note-1')).toBe(true);
  });
});
