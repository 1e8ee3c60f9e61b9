import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from '../regional/src/inference/batcher.ts';

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
});
