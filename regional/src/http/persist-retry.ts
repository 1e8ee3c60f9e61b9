/**
 * Writes of a chat turn, retried: a turn that could not be stored is tried again (three attempts,
 * exponential backoff from 50 ms, cockatiel) and every outcome is counted — stored, retried (a
 * failed attempt), lost (every attempt failed, reported through `onLost` with the error). Input
 * the store refuses (StoreError INVALID_INPUT) is not retried: it would fail the same way.
 * Never throws: a turn that cannot be stored must not fail the answer it records.
 */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { StoreError } from '../store/types.ts';

export type TurnWriteResult = 'stored' | 'retried' | 'lost';

export interface PersistRetryOptions {
  attempts?: number;
  initialDelayMs?: number;
  onResult: (result: TurnWriteResult) => void;
  onLost: (error: unknown) => void;
}

/** Runs each step in order, retrying a failed step on its own (earlier steps are not repeated). */
export async function persistWithRetry(steps: (() => Promise<unknown>)[], o: PersistRetryOptions): Promise<boolean> {
  const policy = retry(
    handleWhen((e) => !(e instanceof StoreError && e.code === 'INVALID_INPUT')),
    { maxAttempts: (o.attempts ?? 3) - 1, backoff: new ExponentialBackoff({ initialDelay: o.initialDelayMs ?? 50, maxDelay: 1000 }) },
  );
  const listener = policy.onRetry(() => o.onResult('retried'));
  try {
    for (const step of steps) await policy.execute(step);
    o.onResult('stored');
    return true;
  } catch (e) {
    o.onResult('lost');
    o.onLost(e);
    return false;
  } finally {
    listener.dispose();
  }
}
