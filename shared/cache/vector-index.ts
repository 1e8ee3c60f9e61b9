/**
 * An in-memory int8 vector index for the semantic cache. Vectors are L2-normalized float
 * embeddings quantized to int8 with a per-vector scale. Each partition (e.g. one intent) is
 * scanned exhaustively while small; past `ivfMinSize` entries it is split into inverted lists
 * around k-means centroids and a query scans only the `nprobe` nearest lists (IVF), which keeps
 * a lookup at 100k entries to a few thousand dot products. Within a partition every entry is also
 * listed under its tag (the cache's key frame): a query only ever matches its own tag, so it scans
 * that bucket exhaustively (exact, and usually a handful of entries) and falls back to the inverted
 * lists only when the bucket itself is larger than `ivfMinSize`.
 */

export interface IndexedItem {
  id: string;
  partition: string;
  /** Entries only match queries with the same tag (the key frame's aspect and entity signature). */
  tag: string;
  /** Asked-about values; an entry matches a query unless both have one and they differ. */
  qualifier?: string;
  /** Epoch ms after which the entry no longer matches. */
  expiresAt: number;
}

export interface SearchHit {
  item: IndexedItem;
  similarity: number;
}

export interface VectorIndexOptions {
  dimensions: number;
  /** Partitions smaller than this are scanned exhaustively. */
  ivfMinSize?: number;
  /** Lists probed per query once a partition uses IVF. */
  nprobe?: number;
}

export function quantize(v: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
  const scale = max > 0 ? max / 127 : 1;
  const q = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) q[i] = Math.round(v[i] / scale);
  return { q, scale };
}

class Partition {
  vectors: Int8Array;
  scales: Float32Array;
  items: (IndexedItem | undefined)[] = [];
  size = 0;
  live = 0;
  centroids: Float32Array | null = null;
  lists: number[][] = [];
  builtAt = 0;
  /** Slots by tag, in insertion order (removed slots linger until a search compacts the bucket). */
  byTag = new Map<string, number[]>();

  constructor(private readonly dim: number) {
    this.vectors = new Int8Array(64 * dim);
    this.scales = new Float32Array(64);
  }

  push(q: Int8Array, scale: number, item: IndexedItem): number {
    if (this.size * this.dim >= this.vectors.length) {
      const v = new Int8Array(this.vectors.length * 2);
      v.set(this.vectors);
      this.vectors = v;
      const s = new Float32Array(this.scales.length * 2);
      s.set(this.scales);
      this.scales = s;
    }
    const slot = this.size++;
    this.vectors.set(q, slot * this.dim);
    this.scales[slot] = scale;
    this.items[slot] = item;
    this.live++;
    const bucket = this.byTag.get(item.tag);
    if (bucket) bucket.push(slot);
    else this.byTag.set(item.tag, [slot]);
    return slot;
  }

  dot(slot: number, query: Float32Array): number {
    const dim = this.dim;
    const base = slot * dim;
    const v = this.vectors;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < dim; i += 4) {
      s0 += v[base + i] * query[i];
      s1 += v[base + i + 1] * query[i + 1];
      s2 += v[base + i + 2] * query[i + 2];
      s3 += v[base + i + 3] * query[i + 3];
    }
    for (; i < dim; i++) s0 += v[base + i] * query[i];
    return (s0 + s1 + s2 + s3) * this.scales[slot];
  }

  /** Dequantizes one slot into `out`. */
  read(slot: number, out: Float32Array): Float32Array {
    const base = slot * this.dim;
    const scale = this.scales[slot];
    for (let i = 0; i < this.dim; i++) out[i] = this.vectors[base + i] * scale;
    return out;
  }
}

export class VectorIndex {
  private readonly partitions = new Map<string, Partition>();
  private readonly where = new Map<string, { partition: Partition; slot: number }>();
  private readonly ivfMinSize: number;
  private readonly nprobe: number;

  constructor(private readonly opts: VectorIndexOptions) {
    this.ivfMinSize = opts.ivfMinSize ?? 4096;
    this.nprobe = opts.nprobe ?? 8;
  }

  get size(): number {
    return this.where.size;
  }

  has(id: string): boolean {
    return this.where.has(id);
  }

  /** Adds many entries, re-clustering each grown partition once at the end (bulk loads). */
  addMany(entries: { vector: Float32Array; item: IndexedItem }[]): void {
    const grown = new Set<Partition>();
    for (const e of entries) grown.add(this.insert(e.vector, e.item));
    for (const p of grown) this.maybeRebuild(p);
  }

  add(vector: Float32Array, item: IndexedItem): void {
    this.maybeRebuild(this.insert(vector, item));
  }

  private maybeRebuild(p: Partition): void {
    if (p.live >= this.ivfMinSize && p.live >= 2 * p.builtAt) this.rebuild(p);
  }

  private insert(vector: Float32Array, item: IndexedItem): Partition {
    if (vector.length !== this.opts.dimensions) throw new Error(`vector has ${vector.length} dimensions, index has ${this.opts.dimensions}`);
    this.remove(item.id);
    let p = this.partitions.get(item.partition);
    if (!p) this.partitions.set(item.partition, (p = new Partition(this.opts.dimensions)));
    const { q, scale } = quantize(vector);
    const slot = p.push(q, scale, item);
    this.where.set(item.id, { partition: p, slot });
    if (p.centroids) p.lists[nearestCentroid(p.centroids, this.opts.dimensions, vector)].push(slot);
    return p;
  }

  remove(id: string): boolean {
    const w = this.where.get(id);
    if (!w) return false;
    w.partition.items[w.slot] = undefined;
    w.partition.live--;
    this.where.delete(id);
    return true;
  }

  clear(): void {
    this.partitions.clear();
    this.where.clear();
  }

  /**
   * Items of `partition` with the same `tag`, not expired at `now`, whose cosine similarity is
   * at least `minSimilarity`, best first; with a `qualifier`, entries whose own qualifier differs
   * are skipped.
   */
  search(query: Float32Array, partition: string, tag: string, minSimilarity: number, now: number, limit = 3, qualifier = ''): SearchHit[] {
    const p = this.partitions.get(partition);
    if (!p) return [];
    // The best `limit` hits, kept sorted as they are found (limit is small: no sort of all matches).
    const hits: SearchHit[] = [];
    const items = p.items;
    let dead = 0;
    const scan = (slots: ArrayLike<number> | null, count: number) => {
      for (let j = 0; j < count; j++) {
        const slot = slots ? slots[j] : j;
        const item = items[slot];
        if (!item) {
          dead++;
          continue;
        }
        if (item.tag !== tag || item.expiresAt <= now) continue;
        if (qualifier && item.qualifier && item.qualifier !== qualifier) continue;
        const sim = p.dot(slot, query);
        if (sim < minSimilarity || (hits.length === limit && sim <= hits[limit - 1].similarity)) continue;
        let at = hits.length;
        while (at > 0 && hits[at - 1].similarity < sim) at--;
        hits.splice(at, 0, { item, similarity: sim });
        if (hits.length > limit) hits.pop();
      }
    };
    const bucket = p.byTag.get(tag);
    if (!bucket) return [];
    if (bucket.length <= this.ivfMinSize || !p.centroids) {
      scan(bucket, bucket.length);
      // Removed entries are dropped from a bucket once they are half of it.
      if (dead * 2 > bucket.length) p.byTag.set(tag, bucket.filter((slot) => items[slot]?.tag === tag));
      if (!p.byTag.get(tag)!.length) p.byTag.delete(tag);
    } else for (const list of nearestLists(p.centroids, this.opts.dimensions, query, this.nprobe)) scan(p.lists[list], p.lists[list].length);
    return hits;
  }

  /** Re-clusters a partition with k-means (deterministic: evenly spaced seeds, a fixed sample). */
  private rebuild(p: Partition): void {
    const dim = this.opts.dimensions;
    const liveSlots: number[] = [];
    for (let s = 0; s < p.size; s++) if (p.items[s]) liveSlots.push(s);
    const k = Math.max(8, Math.round(Math.sqrt(liveSlots.length)));
    const step = Math.max(1, Math.floor(liveSlots.length / 4096));
    const sampleSlots = liveSlots.filter((_, i) => i % step === 0);
    const sample = new Float32Array(sampleSlots.length * dim);
    const buf = new Float32Array(dim);
    sampleSlots.forEach((slot, i) => sample.set(p.read(slot, buf), i * dim));
    const centroids = new Float32Array(k * dim);
    const stride = sampleSlots.length / k;
    for (let c = 0; c < k; c++) centroids.set(sample.subarray(Math.floor(c * stride) * dim, (Math.floor(c * stride) + 1) * dim), c * dim);
    for (let iter = 0; iter < 4; iter++) {
      const sums = new Float32Array(k * dim);
      const counts = new Int32Array(k);
      for (let i = 0; i < sampleSlots.length; i++) {
        const v = sample.subarray(i * dim, (i + 1) * dim);
        const c = nearestCentroid(centroids, dim, v);
        counts[c]++;
        for (let d = 0; d < dim; d++) sums[c * dim + d] += v[d];
      }
      for (let c = 0; c < k; c++) {
        if (!counts[c]) continue;
        let norm = 0;
        for (let d = 0; d < dim; d++) norm += sums[c * dim + d] ** 2;
        norm = Math.sqrt(norm) || 1;
        for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] / norm;
      }
    }
    p.centroids = centroids;
    p.lists = Array.from({ length: k }, () => []);
    for (const slot of liveSlots) p.lists[nearestCentroid(centroids, dim, p.read(slot, buf))].push(slot);
    p.builtAt = liveSlots.length;
  }
}

function nearestCentroid(centroids: Float32Array, dim: number, v: Float32Array): number {
  let best = 0;
  let bestSim = -Infinity;
  for (let c = 0; c < centroids.length / dim; c++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += centroids[c * dim + d] * v[d];
    if (s > bestSim) (bestSim = s), (best = c);
  }
  return best;
}

function nearestLists(centroids: Float32Array, dim: number, v: Float32Array, n: number): number[] {
  const k = centroids.length / dim;
  const sims: { c: number; s: number }[] = [];
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += centroids[c * dim + d] * v[d];
    sims.push({ c, s });
  }
  sims.sort((a, b) => b.s - a.s);
  return sims.slice(0, n).map((x) => x.c);
}
