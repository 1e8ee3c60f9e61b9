/**
 * What every stage of the region's pipeline shares for one request: the degradations that fired
 * (in order, each once), the latency of each stage, and a timeout helper. Holds no stage logic.
 */
import type { GenerateDeps } from '../pipeline.ts';

export class StageTimeout extends Error {}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new StageTimeout(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

/** A failed stage's fallback name: `<stage>_timeout` when its budget ran out, else `<stage>_error`. */
export const failureOf = (stage: string, e: unknown) => (e instanceof StageTimeout ? `${stage}_timeout` : `${stage}_error`);

export interface Run {
  readonly t0: number;
  /** Degradations so far, in the order they fired. */
  readonly fallbacks: string[];
  readonly latency: Record<string, number>;
  fallback(kind: string): void;
  stage(name: string, ms: number): void;
}

export function startRun(deps: Pick<GenerateDeps, 'onStage' | 'onFallback'>): Run {
  const fallbacks: string[] = [];
  const latency: Record<string, number> = { classify: 0, retrieve: 0, rerank: 0, llm_first_token: 0, llm: 0, guardrails: 0 };
  return {
    t0: performance.now(),
    fallbacks,
    latency,
    fallback(kind) {
      if (!fallbacks.includes(kind)) fallbacks.push(kind);
      deps.onFallback?.(kind);
    },
    stage(name, ms) {
      latency[name] = ms;
      deps.onStage?.(name, ms);
    },
  };
}
