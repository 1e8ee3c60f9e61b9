/**
 * The edges a bench measures side by side (scripts/bench-services.ts, parts `edge` and `openai`):
 * this checkout's, and with `BENCH_PEER=<another checkout>` (e.g. main's: `git archive main | tar -x
 * -C <dir>` with node_modules linked) that checkout's edge too, started by its own
 * scripts/edge-process.ts on the same region. The bench alternates each measurement request by
 * request between them in a shuffled order, so both see the same moments of a shared, noisy
 * machine: only such a same-run pair says what a change did.
 *
 * Each edge also reports the URL of its Worker behind wrangler dev's local proxy (`workerUrl`):
 * wrangler dev puts a proxy (its own workerd process) in front of the workerd that runs the
 * Worker, a hop a deployed Worker does not have. Measuring both separates that hop from what the
 * Worker does. The URL is read from wrangler's debug log (WRANGLER_LOG=debug while it starts).
 * `BENCH_EDGE_PORT`: the first port the edges take (each takes one more), else a random one.
 */
import { join, resolve } from 'node:path';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { startEdgeProcess, type EdgeProcess } from './edge-process.ts';

type StartOptions = Parameters<typeof startEdgeProcess>[0];

export interface BenchEdge {
  name: 'this' | 'peer';
  edge: EdgeProcess;
  url: string;
  /** The Worker's own workerd, without wrangler dev's proxy in front; undefined if the log did not say. */
  workerUrl: string | undefined;
}

const PEER = process.env.BENCH_PEER;
let nextPort = Number(process.env.BENCH_EDGE_PORT) || 0;

/** Starts this checkout's edge, and the peer's when BENCH_PEER is set (`opts.port`: the default first port). */
export async function startBenchEdges(opts: StartOptions): Promise<BenchEdge[]> {
  const starters: [BenchEdge['name'], typeof startEdgeProcess][] = [['this', startEdgeProcess]];
  if (PEER) starters.push(['peer', (await import(join(resolve(PEER), 'scripts', 'edge-process.ts'))).startEdgeProcess]);
  const debug = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = 'debug';
  try {
    return await Promise.all(
      starters.map(async ([name, start], k) => {
        const port = nextPort ? nextPort++ : opts.port + k;
        const edge = await start({ ...opts, port, ...(opts.persistTo ? { persistTo: `${opts.persistTo}-${name}` } : {}) });
        return { name, edge, url: edge.url, workerUrl: workerUrlOf(edge.output()) };
      }),
    );
  } finally {
    if (debug === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = debug;
  }
}

/** wrangler's debug line `"userWorkerUrl":{"protocol":"http:","hostname":"127.0.0.1","port":"41611"}`. */
export function workerUrlOf(log: string): string | undefined {
  const m = [...log.matchAll(/"userWorkerUrl":\{"protocol":"(https?:)","hostname":"([^"]+)","port":"(\d+)"/g)].at(-1);
  return m ? `${m[1]}//${m[2]}:${m[3]}` : undefined;
}

/**
 * Calls `each(i)` for i < n, and within each i every one of `callers` in a shuffled order
 * (seeded): so a burst of other jobs' load does not always land on the same caller.
 */
export async function alternate<K extends string>(n: number, callers: K[], each: (caller: K, i: number) => Promise<void>, seed = 17): Promise<void> {
  const shuffle = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    for (const k of [...callers].sort(() => shuffle() - 0.5)) await each(k, i);
  }
}
