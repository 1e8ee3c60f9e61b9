/**
 * What the soak bench reads inside the tiers, beside the process RSS: the V8 heap in use
 * (`Runtime.getHeapUsage` over an inspector: wrangler dev's proxy for the edge's isolate, where
 * workerd offers no `HeapProfiler.collectGarbage`, so it is read as it is and judged by its
 * floor; the region's Node inspector, after a full collection) and the entry
 * counts of the isolate's bounded stores (`switchyard_edge_isolate_entries` on /metrics). A leak
 * in the product's code shows in one of them; growth of RSS alone is the allocators' business.
 * Each read has a short timeout and yields null on failure: a sample is skipped, never the soak.
 */

export interface IsolateHeap {
  /** V8 heap in use (MB). */
  usedMb: number;
  /** V8 heap committed (MB): in use plus the free space of its pages. */
  totalMb: number;
  /** Memory outside the heap that V8 objects hold: ArrayBuffer backing stores (MB). */
  backingMb: number;
}

/**
 * The isolate's heap, or null. Needs a global WebSocket (Node ≥ 22, or Node 20 with
 * --experimental-websocket). `collect`: a full garbage collection first (Node's inspector has it,
 * workerd's does not), so what is read is what is still reachable.
 */
export async function isolateHeap(inspectorPort: number, opts: { collect?: boolean; timeoutMs?: number; target?: string } = {}): Promise<IsolateHeap | null> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const Ws = (globalThis as { WebSocket?: new (url: string, init?: unknown) => WebSocket }).WebSocket;
  if (!Ws) return null;
  let ws: WebSocket | undefined;
  try {
    const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as { id: string; webSocketDebuggerUrl: string }[];
    const target = opts.target ? list.find((t) => t.id === opts.target) : list[0];
    if (!target) return null;
    // The proxy refuses a connection without a local Origin (undici's WebSocket takes headers).
    const socket = new Ws(target.webSocketDebuggerUrl, { headers: { origin: 'http://127.0.0.1' } });
    ws = socket;
    return await new Promise<IsolateHeap | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      socket.onerror = () => (clearTimeout(timer), resolve(null));
      const read = () => socket.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }));
      socket.onopen = () => (opts.collect ? socket.send(JSON.stringify({ id: 2, method: 'HeapProfiler.collectGarbage' })) : read());
      socket.onmessage = (m) => {
        const d = JSON.parse(String(m.data)) as { id?: number; result?: { usedSize: number; totalSize: number; backingStorageSize?: number } };
        if (d.id === 2) return read();
        if (d.id !== 1) return;
        clearTimeout(timer);
        resolve(d.result ? { usedMb: d.result.usedSize / 2 ** 20, totalMb: d.result.totalSize / 2 ** 20, backingMb: (d.result.backingStorageSize ?? NaN) / 2 ** 20 } : null);
      };
    });
  } catch {
    return null;
  } finally {
    ws?.close();
  }
}

/** The edge's in-isolate store sizes by store name, or null. */
export async function isolateEntries(edgeUrl: string, timeoutMs = 5000): Promise<Record<string, number> | null> {
  try {
    const text = await (await fetch(`${edgeUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })).text();
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^switchyard_edge_isolate_entries\{store="([^"]+)"\} (\S+)$/gm)) out[m[1]] = Number(m[2]);
    return out;
  } catch {
    return null;
  }
}

/**
 * Writes a heap snapshot of the process behind a Node inspector to `file` (what the soak bench
 * takes of the region at the warm-up and at the end, for scripts/soak/heap-diff.ts). Resolves
 * false on failure or after `timeoutMs`.
 */
export async function heapSnapshot(inspectorPort: number, file: string, timeoutMs = 120_000): Promise<boolean> {
  const Ws = (globalThis as { WebSocket?: new (url: string, init?: unknown) => WebSocket }).WebSocket;
  if (!Ws) return false;
  const { createWriteStream } = await import('node:fs');
  let ws: WebSocket | undefined;
  try {
    const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(5000) })).json()) as { webSocketDebuggerUrl: string }[];
    const socket = new Ws(list[0].webSocketDebuggerUrl, { headers: { origin: 'http://127.0.0.1' } });
    ws = socket;
    const out = createWriteStream(file);
    const done = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.onerror = () => (clearTimeout(timer), resolve(false));
      socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.takeHeapSnapshot', params: { reportProgress: false } }));
      socket.onmessage = (m) => {
        const d = JSON.parse(String(m.data)) as { id?: number; method?: string; params?: { chunk: string } };
        if (d.method === 'HeapProfiler.addHeapSnapshotChunk') out.write(d.params!.chunk);
        else if (d.id === 1) (clearTimeout(timer), resolve(true));
      };
    });
    await new Promise((r) => out.end(r));
    return done;
  } catch {
    return false;
  } finally {
    ws?.close();
  }
}

/**
 * The heap of every isolate behind a workerd inspector, by target id (Miniflare runs its own
 * workers beside the user's: the entry router, D1, the cache, the asset router), or {} on failure.
 */
export async function everyIsolateHeap(inspectorPort: number, timeoutMs = 5000): Promise<Record<string, IsolateHeap>> {
  try {
    const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as { id: string }[];
    const heaps = await Promise.all(list.map(async (t) => [t.id, await isolateHeap(inspectorPort, { target: t.id, timeoutMs })] as const));
    return Object.fromEntries(heaps.filter((h): h is readonly [string, IsolateHeap] => h[1] !== null));
  } catch {
    return {};
  }
}

/**
 * V8's sampling heap profiler on the isolate behind an inspector (`HeapProfiler.startSampling`, on
 * until `stop()`), counting what young and full collections took back too: where the isolate
 * allocates, not only what it keeps. `stop()` resolves the profile (Chrome's .heapprofile shape),
 * or null. One object in `intervalBytes` (on average) is sampled, with its stack. `survivorsOnly`:
 * what young collections took back is left out, so the profile is what survived them (promoted to
 * the old generation, live or collected later by a full collection): what fills the old space.
 */
export async function sampleAllocations(inspectorPort: number, opts: { target?: string; intervalBytes?: number; survivorsOnly?: boolean } = {}): Promise<{ stop: () => Promise<SamplingProfile | null> } | null> {
  const Ws = (globalThis as { WebSocket?: new (url: string, init?: unknown) => WebSocket }).WebSocket;
  if (!Ws) return null;
  try {
    const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(5000) })).json()) as { id: string; webSocketDebuggerUrl: string }[];
    const target = opts.target ? list.find((t) => t.id === opts.target) : list[0];
    if (!target) return null;
    const socket = new Ws(target.webSocketDebuggerUrl, { headers: { origin: 'http://127.0.0.1' } });
    const replies = new Map<number, (r: unknown) => void>();
    socket.onmessage = (m) => {
      const d = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: unknown };
      if (d.id !== undefined) replies.get(d.id)?.(d.result ?? null);
    };
    let id = 0;
    const call = (method: string, params: object = {}, timeoutMs = 30_000) =>
      new Promise<unknown>((resolve) => {
        const n = ++id;
        const timer = setTimeout(() => resolve(null), timeoutMs);
        replies.set(n, (r) => (clearTimeout(timer), resolve(r)));
        socket.send(JSON.stringify({ id: n, method, params }));
      });
    await new Promise<void>((resolve, reject) => ((socket.onopen = () => resolve()), (socket.onerror = () => reject(new Error('inspector')))));
    await call('HeapProfiler.enable');
    const started = await call('HeapProfiler.startSampling', { samplingInterval: opts.intervalBytes ?? 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !opts.survivorsOnly });
    if (started === null) return (socket.close(), null);
    return {
      stop: async () => {
        const r = (await call('HeapProfiler.stopSampling', {}, 60_000)) as { profile?: SamplingProfile } | null;
        socket.close();
        return r?.profile ?? null;
      },
    };
  } catch {
    return null;
  }
}

/** The sampling heap profiler's result (Chrome DevTools Protocol: HeapProfiler.SamplingHeapProfile). */
export interface SamplingProfile {
  head: SamplingNode;
  samples?: { size: number; nodeId: number; ordinal: number }[];
}
interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  id: number;
  children: SamplingNode[];
}

/**
 * The top allocation sites of a sampling profile: bytes (estimated) by function and place, itself
 * (`self`) and with what it calls (`total`), as shares of everything sampled.
 */
export function topAllocators(profile: SamplingProfile, n = 25): { site: string; selfShare: number; totalShare: number }[] {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const site = (c: SamplingNode['callFrame']) => `${c.functionName || '(anonymous)'} ${c.url.split('/').pop()}:${c.lineNumber + 1}:${c.columnNumber + 1}`;
  const walk = (node: SamplingNode, onStack: Set<string>): number => {
    const s = site(node.callFrame);
    const sub = node.selfSize + node.children.reduce((a, c) => a + walk(c, new Set([...onStack, s])), 0);
    self.set(s, (self.get(s) ?? 0) + node.selfSize);
    if (!onStack.has(s)) total.set(s, (total.get(s) ?? 0) + sub);
    return sub;
  };
  const all = walk(profile.head, new Set());
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([s, b]) => ({ site: s, selfShare: Math.round((b / all) * 1000) / 1000, totalShare: Math.round(((total.get(s) ?? 0) / all) * 1000) / 1000 }));
}
