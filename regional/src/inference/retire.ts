/**
 * Retiring a model that hot reload replaced: new calls already go to the new model's batcher, so
 * the old batcher leaves the service's list (queue-depth metrics) at once, while the work queued
 * on it or running there finishes on the old model. Once it has drained, and stayed idle for
 * `graceMs` (a request that picked up the old model just before the swap may still call it), the
 * batcher is closed (any later call is refused with a clear error) and the model released.
 * Aborting `signal` (the service closing) skips the grace period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamicBatcher } from './batcher.ts';

export async function retireModel(
  batchers: DynamicBatcher<any, any>[],
  old: DynamicBatcher<any, any>,
  release: () => Promise<void> | void,
  opts: { graceMs: number; signal?: AbortSignal },
): Promise<void> {
  const i = batchers.indexOf(old);
  if (i >= 0) batchers.splice(i, 1);
  await old.idle();
  if (opts.graceMs > 0 && !opts.signal?.aborted) await sleep(opts.graceMs, undefined, { signal: opts.signal, ref: false }).catch(() => {});
  await old.idle();
  old.close(new Error(`${old.opts.name}: this model version was replaced and released`));
  await old.idle();
  await release();
}
