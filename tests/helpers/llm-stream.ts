/**
 * Reading generation streams in the LLM backend tests: every chunk and the text, the LlmError a
 * stream must end with, an upstream that holds its rest back until the first delta is read, and
 * retry settings fast enough for tests.
 */
import { expect } from 'vitest';
import type { ResilienceSettings } from '../../regional/src/llm/resilient-stream.ts';
import { LlmError, type LlmChunk } from '../../regional/src/llm/types.ts';

/** 2 s to the first token, 5 s in all, 2 retries with 1-5 ms back-off and a fixed jitter. */
export const FAST_RESILIENCE = {
  firstTokenTimeoutMs: 2_000,
  totalTimeoutMs: 5_000,
  retries: 2,
  backoffBaseMs: 1,
  backoffCapMs: 5,
  random: () => 0.5,
} satisfies ResilienceSettings;

export async function collect(it: AsyncIterable<LlmChunk>): Promise<{ chunks: LlmChunk[]; text: string }> {
  const chunks: LlmChunk[] = [];
  for await (const c of it) chunks.push(c);
  return { chunks, text: chunks.flatMap((c) => (c.type === 'delta' ? [c.text] : [])).join('') };
}

/** The chunks a stream yielded before it failed, and its error (which must be an LlmError). */
export async function failure(it: AsyncIterable<LlmChunk>): Promise<{ error: LlmError; chunks: LlmChunk[] }> {
  const chunks: LlmChunk[] = [];
  try {
    for await (const c of it) chunks.push(c);
  } catch (e) {
    expect(e).toBeInstanceOf(LlmError);
    return { error: e as LlmError, chunks };
  }
  throw new Error('expected the stream to fail');
}

/**
 * For a fake upstream that sends its first delta, awaits `gate`, calls `onRest` and sends the
 * rest: `readAll` reads the backend's stream, opening the gate at the first delta, and says
 * whether the upstream had sent the rest by then (false when deltas are passed on as they come).
 */
export function firstDeltaGate() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let restSent = false;
  return {
    gate,
    onRest: () => {
      restSent = true;
    },
    async readAll(it: AsyncIterable<LlmChunk>): Promise<{ chunks: LlmChunk[]; restSentAtFirstDelta: boolean | undefined }> {
      const chunks: LlmChunk[] = [];
      let restSentAtFirstDelta: boolean | undefined;
      for await (const c of it) {
        chunks.push(c);
        if (c.type === 'delta' && restSentAtFirstDelta === undefined) {
          restSentAtFirstDelta = restSent;
          release();
        }
      }
      return { chunks, restSentAtFirstDelta };
    },
  };
}
