/**
 * A WordPiece vocabulary (token ↔ id) held as a few flat arrays: every token in one string, an
 * open-addressing hash table of typed arrays, and each id's place in that string.
 *
 * Why not a `Map<string, number>` and a `string[]`: those are ~36k strings and ~300k slots of
 * pointers in the isolate's heap, which every full collection marks. workerd runs V8 without
 * incremental marking (Workers heaps are small), so a full collection is one pause of the whole
 * isolate, as long as the live heap takes to mark, and every request in flight waits it out. Here the
 * vocabulary is one flat string and typed arrays, whose contents the collector never visits.
 *
 * A lookup hashes the characters where they are (`idOf(text, start, end, prefix)`), so a word's
 * pieces are looked up without a string made for each candidate piece.
 */

/** FNV-1a over UTF-16 code units (32-bit). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export class Vocabulary {
  /** Every token of the table, one after another. */
  private readonly chars: string;
  /** Hash table slots: the id there plus one (0: empty), and where its token is in `chars`. */
  private readonly slotId: Int32Array;
  private readonly slotStart: Int32Array;
  private readonly slotLength: Int32Array;
  private readonly mask: number;
  /** Each id's token in `chars` (length −1: no token has that id). */
  private readonly idStart: Int32Array;
  private readonly idLength: Int32Array;

  constructor(vocab: Record<string, number>) {
    const tokens = Object.keys(vocab);
    let maxId = -1;
    for (let i = 0; i < tokens.length; i++) {
      const id = vocab[tokens[i]];
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`vocabulary id of ${JSON.stringify(tokens[i])} is not a non-negative integer: ${id}`);
      if (id > maxId) maxId = id;
    }
    this.chars = tokens.join('');
    let size = 16;
    while (size < tokens.length * 2) size *= 2;
    this.mask = size - 1;
    this.slotId = new Int32Array(size);
    this.slotStart = new Int32Array(size);
    this.slotLength = new Int32Array(size);
    this.idStart = new Int32Array(maxId + 1);
    this.idLength = new Int32Array(maxId + 1).fill(-1);
    for (let i = 0, at = 0; i < tokens.length; at += tokens[i].length, i++) {
      const token = tokens[i];
      const id = vocab[token];
      let s = hash(token, 0, token.length, '') & this.mask;
      while (this.slotId[s] !== 0) s = (s + 1) & this.mask;
      this.slotId[s] = id + 1;
      this.slotStart[s] = at;
      this.slotLength[s] = token.length;
      // As a plain array filled in key order would: a later token with the same id names it.
      this.idStart[id] = at;
      this.idLength[id] = token.length;
    }
  }

  /** How many ids there are room for: the largest id plus one. */
  get size(): number {
    return this.idLength.length;
  }

  /** The id of `prefix + text.slice(start, end)`, or undefined. */
  idOf(text: string, start = 0, end = text.length, prefix = ''): number | undefined {
    const length = prefix.length + end - start;
    for (let s = hash(text, start, end, prefix) & this.mask; ; s = (s + 1) & this.mask) {
      const id = this.slotId[s];
      if (id === 0) return undefined;
      if (this.slotLength[s] === length && this.same(this.slotStart[s], text, start, end, prefix)) return id - 1;
    }
  }

  /** The token with this id, or undefined. */
  token(id: number): string | undefined {
    const length = id >= 0 && id < this.idLength.length ? this.idLength[id] : -1;
    return length < 0 ? undefined : this.chars.slice(this.idStart[id], this.idStart[id] + length);
  }

  private same(at: number, text: string, start: number, end: number, prefix: string): boolean {
    const chars = this.chars;
    for (let i = 0; i < prefix.length; i++) if (chars.charCodeAt(at + i) !== prefix.charCodeAt(i)) return false;
    for (let i = start, j = at + prefix.length; i < end; i++, j++) if (chars.charCodeAt(j) !== text.charCodeAt(i)) return false;
    return true;
  }
}

function hash(text: string, start: number, end: number, prefix: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < prefix.length; i++) h = Math.imul(h ^ prefix.charCodeAt(i), FNV_PRIME);
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
