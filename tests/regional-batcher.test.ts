import { describe, expect, it, vi } from 'vitest';
import { DynamicBatcher } from '../regional/src/inference/batcher.ts';
import { lengthGroups, runByLength } from '../regional/src/inference/length-groups.ts';
import { runChunk, type BatchModels } from '../regional/src/ops/batch-rows.ts';

function recorder() {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise((r) => setTimeout(r, 5));
    return items.map((x) => x * 2);
  };
  return { batches, run };
}

describe('DynamicBatcher', () => {
  it('runs a full batch at maxSize and returns each caller its own result', async () => {
    const { batches, run } = recorder();
    const b = new DynamicBatcher(run, { name: 't', maxSize: 4, maxDelayMs: 10_000, eager: false });
    const out = await Promise.all([1, 2, 3, 4].map((x) => b.run(x)));
    expect(out).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('runs a partial batch when the oldest item has waited maxDelayMs', async () => {
    const { batches, run } = recorder();
    const b = new DynamicBatcher(run, { name: 't', maxSize: 32, maxDelayMs: 20, eager: false });
    expect(await Promise.all([b.run(1), b.run(2)])).toEqual([2, 4]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('eagerly starts an idle model and batches what arrives while it is busy', async () => {
    const { batches, run } = recorder();
    const sizes: number[] = [];
    const b = new DynamicBatcher(run, { name: 't', maxSize: 8, maxDelayMs: 60_000, onBatch: (n) => sizes.push(n) });
    const first = b.run(0);
    await new Promise((r) => setTimeout(r, 1));
    const rest = Array.from({ length: 20 }, (_, i) => b.run(i + 1));
    expect(await Promise.all([first, ...rest])).toEqual(Array.from({ length: 21 }, (_, i) => i * 2));
    expect(batches[0]).toEqual([0]);
    expect(sizes.slice(1)).toEqual([8, 8, 4]);
  });

  it('rejects every caller of a failed batch, and aborted callers before they run', async () => {
    const b = new DynamicBatcher<number, number>(async () => Promise.reject(new Error('boom')), { name: 't', maxSize: 2, maxDelayMs: 1 });
    await expect(Promise.all([b.run(1), b.run(2)])).rejects.toThrow('boom');
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(b.run(3, ac.signal)).rejects.toThrow('gone');
    const short = new DynamicBatcher<number, number>(async () => [1], { name: 'short', maxSize: 2, maxDelayMs: 1 });
    await expect(Promise.all([short.run(1), short.run(2)])).rejects.toThrow(/returned 1 results/);
  });

  it('says when queued and running work has drained, and refuses calls once closed (a replaced model)', async () => {
    const { batches, run } = recorder();
    const b = new DynamicBatcher(run, { name: 'old', maxSize: 2, maxDelayMs: 60_000 });
    await b.idle(); // idle from the start
    const calls = [1, 2, 3, 4, 5].map((x) => b.run(x));
    let drained = false;
    const idle = b.idle().then(() => (drained = true));
    await calls[0];
    expect(drained).toBe(false);
    b.close(new Error('old was replaced'));
    await expect(b.run(6)).rejects.toThrow('old was replaced');
    // Work queued before close still runs to the end, and only then is the batcher idle.
    expect(await Promise.all(calls)).toEqual([2, 4, 6, 8, 10]);
    await idle;
    expect(drained).toBe(true);
    expect(b.depth).toBe(0);
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5]);
  });

  describe('priority lanes', () => {
    /** A model whose batches finish only when the test releases them, one at a time. */
    function gated() {
      const batches: string[][] = [];
      const gates: Array<() => void> = [];
      const run = (items: string[]) => {
        batches.push(items);
        return new Promise<string[]>((resolve) => gates.push(() => resolve(items.map((x) => x.toUpperCase()))));
      };
      /** Lets the batch in flight finish and waits until the next one has started (if any is queued). */
      const release = async (expectStarted = true) => {
        const n = batches.length;
        gates.shift()!();
        if (expectStarted) await vi.waitFor(() => expect(batches.length).toBe(n + 1), { interval: 1 });
        else await new Promise((r) => setTimeout(r, 5));
      };
      return { batches, run, release };
    }

    it('puts every queued interactive item before any batch item, and fills only the room left with batch items', async () => {
      const m = gated();
      const lanes: number[] = [];
      const b = new DynamicBatcher<string, string>(m.run, { name: 't', maxSize: 4, maxDelayMs: 60_000, onBatch: (_, __, batchLane) => lanes.push(batchLane) });
      const results: Promise<string>[] = [b.run('i0')];
      await vi.waitFor(() => expect(m.batches).toHaveLength(1), { interval: 1 });
      // While i0 runs: a big batch job queues first, then two interactive requests arrive.
      for (let i = 0; i < 7; i++) results.push(b.run(`b${i}`, undefined, 'batch'));
      results.push(b.run('i1'), b.run('i2'));
      expect(b.depthOf('batch')).toBe(7);
      expect(b.depthOf('interactive')).toBe(2);
      await m.release();
      expect(m.batches[1]).toEqual(['i1', 'i2', 'b0', 'b1']);
      // Interactive traffic is idle now: batch items run on their own, in order.
      await m.release();
      expect(m.batches[2]).toEqual(['b2', 'b3', 'b4', 'b5']);
      // One interactive request arriving behind the rest of the job jumps it.
      results.push(b.run('i3'));
      await m.release();
      expect(m.batches[3]).toEqual(['i3', 'b6']);
      await m.release(false);
      expect(await Promise.all(results)).toEqual(['I0', 'B0', 'B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'I1', 'I2', 'I3']);
      expect(lanes).toEqual([0, 2, 4, 1]);
      expect(b.depth).toBe(0);
    });

    it('never makes an interactive item wait for more than the one batch in flight when it arrived, however big the batch job', async () => {
      const m = gated();
      const b = new DynamicBatcher<string, string>(m.run, { name: 't', maxSize: 8, maxDelayMs: 60_000 });
      const job = b.runMany(Array.from({ length: 200 }, (_, i) => `b${i}`), undefined, 'batch');
      await vi.waitFor(() => expect(m.batches).toHaveLength(1), { interval: 1 });
      // Interactive requests trickle in, 0–9 per batch, while the job has plenty queued.
      const arrivedDuring = new Map<string, number>();
      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < (round * 7) % 10; i++) {
          const id = `i${round}.${i}`;
          arrivedDuring.set(id, m.batches.length - 1);
          void b.run(id);
        }
        await m.release();
      }
      for (const [id, inFlight] of arrivedDuring) {
        const ranIn = m.batches.findIndex((batch) => batch.includes(id));
        // The batch after the one in flight, or the one after that when 8 others were ahead of it.
        expect(ranIn - inFlight, id).toBeGreaterThanOrEqual(1);
        const ahead = [...arrivedDuring].filter(([other, t]) => t === inFlight && other < id).length;
        expect(ranIn - inFlight, id).toBe(1 + Math.floor(ahead / 8));
      }
      // Batch items never sit in front of interactive ones within a batch.
      for (const batch of m.batches) {
        const firstBatchItem = batch.findIndex((x) => x.startsWith('b'));
        if (firstBatchItem >= 0) expect(batch.slice(firstBatchItem).every((x) => x.startsWith('b'))).toBe(true);
      }
      while (b.depth) await m.release();
      await m.release(false);
      expect((await job).length).toBe(200);
    });

    it('rejects aborted batch-lane items without running them', async () => {
      const m = gated();
      const b = new DynamicBatcher<string, string>(m.run, { name: 't', maxSize: 4, maxDelayMs: 60_000 });
      const first = b.run('i0');
      await vi.waitFor(() => expect(m.batches).toHaveLength(1), { interval: 1 });
      const ac = new AbortController();
      const gone = b.run('b0', ac.signal, 'batch').catch((e: Error) => e.message);
      const kept = b.run('b1', undefined, 'batch');
      ac.abort(new Error('job canceled'));
      await m.release();
      expect(m.batches[1]).toEqual(['b1']);
      await m.release(false);
      expect(await gone).toBe('job canceled');
      expect(await Promise.all([first, kept])).toEqual(['I0', 'B1']);
    });
  });
});

describe('length groups (padding-aware runs for transformer models)', () => {
  const cost = (lengths: number[], groups: number[][], run = 16) => groups.reduce((c, g) => c + run + g.length * Math.max(...g.map((i) => lengths[i])), 0);

  it('covers every item once, sorted by length within a run, at no more cost than one run or one run each', () => {
    const lengths = [40, 3, 12, 12, 41, 5, 90, 11, 13, 4, 39, 12];
    const groups = lengthGroups(lengths);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    for (const g of groups) expect(g.map((i) => lengths[i])).toEqual([...g.map((i) => lengths[i])].sort((a, b) => a - b));
    const all = [lengths.map((_, i) => i)];
    const each = lengths.map((_, i) => [i]);
    expect(cost(lengths, groups)).toBeLessThan(cost(lengths, all));
    expect(cost(lengths, groups)).toBeLessThan(cost(lengths, each));
    // The long outlier runs alone; texts of one length run together.
    expect(groups.find((g) => g.includes(6))).toEqual([6]);
    expect(lengthGroups([10, 10, 10, 10])).toEqual([[0, 1, 2, 3]]);
    expect(lengthGroups([])).toEqual([]);
  });

  it('returns results in input order', async () => {
    const items = ['a much longer text than the others here', 'hi', 'a much longer text than the others, too', 'yo'];
    const runs: string[][] = [];
    const out = await runByLength(items, (t) => t.length, async (group) => (runs.push(group), group.map((t) => t.toUpperCase())));
    expect(out).toEqual(items.map((t) => t.toUpperCase()));
    expect(runs.length).toBe(2);
  });
});

describe('batch jobs', () => {
  it('call every model in the batch lane', async () => {
    const lanes: unknown[] = [];
    const models: BatchModels = {
      classify: async (_t, lane) => (lanes.push(['classify', lane]), { intent: 'x', topLabel: 'x', confidence: 1, confident: true }),
      embed: async (texts, lane) => (lanes.push(['embed', lane]), texts.map(() => new Float32Array(2))),
      rerank: async (_q, passages, lane) => (lanes.push(['rerank', lane]), new Float32Array(passages.length)),
    };
    await runChunk('classify', models, ['"a"'], 0);
    await runChunk('embed', models, ['"a"', '"b"'], 0);
    await runChunk('rerank', models, [JSON.stringify({ query: 'q', documents: ['d'] })], 0);
    expect(lanes).toEqual([
      ['classify', 'batch'],
      ['embed', 'batch'],
      ['rerank', 'batch'],
    ]);
  });
});
