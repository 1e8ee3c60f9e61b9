/**
 * Where an isolate's model load spends its time, phase by phase (asset reads, sha256, tokenizer
 * parse, onnxruntime's WASM instantiation, each session's creation and warm-up, the FAQ vectors),
 * as `/healthz` reports it. Each phase has its start (ms after the load began) and its duration;
 * phases overlap where the work does (files of both models are read at once). Times come from
 * performance.now(): real time under `wrangler dev`; on Cloudflare the clock only moves across I/O,
 * so there a compute-only phase reads as 0 and is folded into the next phase that awaits I/O.
 */
export interface Phase {
  /** ms after the load began. */
  at: number;
  ms: number;
}

/** When this isolate evaluated the Worker's modules (epoch ms): the end of its script start-up. */
export const ISOLATE_STARTED_AT = Date.now();

export class LoadProfile {
  private readonly t0 = performance.now();
  /** When the load began (epoch ms), on the isolate's first request. */
  readonly startedAt = Date.now();
  /** When the request that started the load had its response made (epoch ms). */
  firstResponseAt?: number;
  private readonly phases = new Map<string, Phase>();

  /** ms since the load began. */
  elapsed(): number {
    return Math.round(performance.now() - this.t0);
  }

  /** Runs `fn` as phase `name` (a repeated name adds its time to the phase). */
  async time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, start, performance.now() - start);
    }
  }

  /** Records a phase measured elsewhere (`start`: a performance.now() reading). */
  add(name: string, start: number, ms: number): void {
    const prev = this.phases.get(name);
    this.phases.set(name, prev ? { at: prev.at, ms: Math.round(prev.ms + ms) } : { at: Math.round(start - this.t0), ms: Math.round(ms) });
  }

  /** The phases in the order they started. */
  report(): Record<string, Phase> {
    return Object.fromEntries([...this.phases].sort(([, a], [, b]) => a.at - b.at));
  }
}
