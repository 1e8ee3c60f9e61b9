/**
 * Splits a document into chunks of at most `size` tokens (or words) for embedding and full-text
 * search. Markdown headings stay with their section: a chunk never ends on a bare heading, and a
 * chunk that starts inside a section repeats that section's heading path (`## Shipping` /
 * `### International`), so every chunk says what it is about. Inside a section it cuts at
 * paragraph, then line (list item), then sentence boundaries, and only splits a single overlong
 * sentence between words. Consecutive chunks of one section share about `overlap` units (whole
 * trailing sentences when they fit, else trailing words). Small consecutive sections share a chunk.
 *
 * The default token count is BERT pre-tokens (runs of letters/digits and single punctuation
 * marks), a close lower bound of WordPiece ids for the 128-token default embedder.
 */
import { RetrievalError } from './errors.ts';

export interface ChunkOptions {
  /** Largest chunk, in `unit`s (default 100). */
  size?: number;
  /** How much of a chunk's tail the next chunk of the same section repeats, in `unit`s (default 20). */
  overlap?: number;
  /** 'tokens' (default) or 'words' (whitespace-separated). */
  unit?: 'tokens' | 'words';
  /** Replaces the default token estimate when unit is 'tokens' (should be about additive over concatenation). */
  countTokens?: (text: string) => number;
}

export interface TextChunk {
  text: string;
  /** Size of `text` in the chunker's unit. */
  tokenCount: number;
  /** Heading path of the section the chunk starts in (markdown lines, e.g. ["## Shipping", "### International"]). */
  headings: string[];
}

export const DEFAULT_CHUNK_SIZE = 100;
export const DEFAULT_CHUNK_OVERLAP = 20;

const PRE_TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;
export function estimateTokens(text: string): number {
  return text.match(PRE_TOKEN)?.length ?? 0;
}
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

export function resolveChunkOptions(opts: ChunkOptions = {}): Required<Omit<ChunkOptions, 'countTokens'>> & { count: (s: string) => number } {
  const size = opts.size ?? DEFAULT_CHUNK_SIZE;
  const overlap = opts.overlap ?? DEFAULT_CHUNK_OVERLAP;
  const unit = opts.unit ?? 'tokens';
  if (!Number.isInteger(size) || size < 8 || size > 100_000) throw new RetrievalError('INVALID_INPUT', `chunk size must be an integer from 8 to 100000, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > size / 2) throw new RetrievalError('INVALID_INPUT', `chunk overlap must be an integer from 0 to size/2 (${size / 2}), got ${overlap}`);
  if (unit !== 'tokens' && unit !== 'words') throw new RetrievalError('INVALID_INPUT', `chunk unit must be 'tokens' or 'words', got ${String(unit)}`);
  const count = unit === 'words' ? countWords : (opts.countTokens ?? estimateTokens);
  return { size, overlap, unit, count };
}

interface Section {
  path: string[];
  blocks: string[];
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$/;
const FENCE = /^\s*(```|~~~)/;

/** Markdown sections: heading path + paragraph blocks (fenced code kept whole, never read as headings). */
function sections(text: string): Section[] {
  const out: Section[] = [];
  const stack: { level: number; line: string }[] = [];
  let cur: Section = { path: [], blocks: [] };
  let para: string[] = [];
  let inFence = false;
  const flushPara = () => {
    const p = para.join('\n').trim();
    if (p) cur.blocks.push(p);
    para = [];
  };
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (FENCE.test(line)) {
      inFence = !inFence;
      para.push(line);
      continue;
    }
    if (inFence) {
      para.push(line);
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      flushPara();
      if (cur.blocks.length) out.push(cur);
      const level = h[1].length;
      while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
      stack.push({ level, line: `${h[1]} ${h[2]}` });
      cur = { path: stack.map((s) => s.line), blocks: [] };
      continue;
    }
    if (line.trim() === '') flushPara();
    else para.push(line);
  }
  flushPara();
  if (cur.blocks.length) out.push(cur);
  // A trailing heading with no body still counts: keep it as a one-line section.
  if (!out.length && stack.length) out.push({ path: stack.map((s) => s.line), blocks: [] });
  return out;
}

const ABBREV = /(?:\b(?:vol|vols|no|nos|mr|mrs|ms|dr|st|vs|etc|approx|ed|eds|inc|ltd|co|jr|sr|fig|e\.g|i\.e|u\.s))\.$/i;

function sentences(text: string): string[] {
  const parts = text.split(/(?<=[.!?…]["'”’)\]]?)\s+(?=["'“‘(\[]?[\p{Lu}\p{N}])/u);
  const out: string[] = [];
  for (const p of parts) {
    if (out.length && ABBREV.test(out[out.length - 1])) out[out.length - 1] += ` ${p}`;
    else out.push(p);
  }
  return out;
}

function wordWindows(text: string, budget: number, count: (s: string) => number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let cur: string[] = [];
  let n = 0;
  for (const w of words) {
    const c = count(w);
    if (cur.length && n + c > budget) {
      out.push(cur.join(' '));
      cur = [];
      n = 0;
    }
    cur.push(w);
    n += c;
  }
  if (cur.length) out.push(cur.join(' '));
  return out;
}

interface Unit {
  text: string;
  n: number;
  /** separator placed before this unit when it follows another unit of the same section */
  sep: string;
  /** 'words': a piece of a sentence too long for one chunk (the only kind overlap may cut into) */
  kind: 'text' | 'words';
}

/**
 * A section's blocks cut into units that each fit in `budget`. A sentence longer than that is cut
 * into word windows of `budget - overlap`, leaving room for the overlap carried between them.
 */
function units(blocks: string[], budget: number, overlap: number, count: (s: string) => number): Unit[] {
  const out: Unit[] = [];
  const push = (text: string, sep: string, kind: Unit['kind'] = 'text') => out.push({ text, n: count(text), sep: out.length ? sep : '', kind });
  for (const block of blocks) {
    if (count(block) <= budget) {
      push(block, '\n\n');
      continue;
    }
    let first = true;
    for (const line of block.split('\n')) {
      const lineSep = first ? '\n\n' : '\n';
      first = false;
      if (count(line) <= budget) {
        push(line, lineSep);
        continue;
      }
      let firstSentence = true;
      for (const s of sentences(line)) {
        const sSep = firstSentence ? lineSep : ' ';
        firstSentence = false;
        if (count(s) <= budget) push(s, sSep);
        else wordWindows(s, Math.max(4, budget - overlap), count).forEach((w, i) => push(w, i === 0 ? sSep : ' ', 'words'));
      }
    }
  }
  return out;
}

/**
 * Trailing text of `parts` worth at most `budget`: whole units (sentences, lines, paragraphs)
 * when they fit, else the last sentences of the last unit, else — only inside a sentence that was
 * itself split between words — its trailing words. Nothing when none of these fits.
 */
function overlapTail(parts: Unit[], budget: number, count: (s: string) => number): Unit[] {
  if (budget <= 0 || !parts.length) return [];
  const tail: Unit[] = [];
  let n = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    if (n + parts[i].n > budget) break;
    tail.unshift(parts[i]);
    n += parts[i].n;
  }
  if (tail.length) return tail;
  const last = parts[parts.length - 1];
  const pieces = last.kind === 'words' ? last.text.split(/\s+/).filter(Boolean) : sentences(last.text);
  const kept: string[] = [];
  for (let i = pieces.length - 1; i > 0 && count([pieces[i], ...kept].join(' ')) <= budget; i--) kept.unshift(pieces[i]);
  if (!kept.length) return [];
  const text = kept.join(' ');
  return [{ text, n: count(text), sep: '', kind: last.kind }];
}

export function chunkText(text: string, options: ChunkOptions = {}): TextChunk[] {
  if (typeof text !== 'string') throw new RetrievalError('INVALID_INPUT', 'text must be a string');
  const { size, overlap, count } = resolveChunkOptions(options);
  const out: TextChunk[] = [];

  // The chunk being built: rendered pieces, their total size, the heading path last written.
  let pieces: string[] = [];
  let n = 0;
  let path: string[] = [];
  let startPath: string[] = [];
  const emit = () => {
    if (!pieces.length) return;
    const t = pieces.join('').trim();
    if (t) out.push({ text: t, tokenCount: count(t), headings: startPath });
    pieces = [];
    n = 0;
  };

  for (const sec of sections(text)) {
    const header = sec.path.join('\n');
    const headerN = header ? count(header) : 0;
    // each unit must fit in a fresh chunk together with the full heading path
    const budget = Math.max(4, size - headerN);
    const us = units(sec.blocks, budget, overlap, count);
    if (!us.length) {
      if (header) out.push({ text: header, tokenCount: headerN, headings: sec.path });
      continue;
    }
    // headings of this section not already open in the current chunk
    let common = 0;
    while (common < path.length && common < sec.path.length && path[common] === sec.path[common]) common++;
    const newHeadings = sec.path.slice(common);
    const opening = newHeadings.join('\n');
    const openingN = opening ? count(opening) : 0;
    if (pieces.length && n + openingN + us[0].n > size) emit();
    if (!pieces.length) {
      startPath = sec.path;
      if (header) (pieces.push(header), (n = headerN));
    } else if (opening) {
      pieces.push('\n\n' + opening);
      n += openingN;
    }
    path = sec.path;

    let inChunk: Unit[] = [];
    for (const u of us) {
      if (inChunk.length && n + u.n > size) {
        const tail = overlapTail(inChunk, Math.min(overlap, size - headerN - u.n), count);
        emit();
        startPath = sec.path;
        if (header) (pieces.push(header), (n = headerN));
        inChunk = [];
        for (const [i, t] of tail.entries()) {
          pieces.push((pieces.length ? (i === 0 ? '\n\n' : t.sep || ' ') : '') + t.text);
          n += t.n;
          inChunk.push(t);
        }
      }
      const sep = pieces.length ? (inChunk.length ? u.sep || '\n\n' : '\n\n') : '';
      pieces.push(sep + u.text);
      n += u.n;
      inChunk.push(u);
    }
  }
  emit();
  return out;
}
