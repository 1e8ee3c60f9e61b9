/**
 * `npx tsx scripts/traffic/gc-pauses.ts <workerd log> [--json]`: the edge isolate's garbage
 * collection pauses, from V8's `--trace-gc-nvp` lines in a workerd log (bench:traffic with
 * `EDGE_V8_FLAGS=--trace-gc-nvp EDGE_LOG_TO=<file>`). Every pause stops the isolate's one thread,
 * and every request in flight waits it out; workerd runs V8 without incremental marking, so a full
 * collection (`mc`) is one pause as long as marking the live heap takes.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface GcEvent {
  atMs: number;
  kind: string;
  pauseMs: number;
  markMs: number;
  liveMb: number;
}

/** One event per `GC: {...}` line (V8 prints them as `[pid:isolate:n]   <ms> ms: GC: {json}`). */
export function gcEvents(log: string): GcEvent[] {
  const out: GcEvent[] = [];
  for (const m of log.matchAll(/ (\d+) ms: GC: (\{.*\})\s*$/gm)) {
    let d: Record<string, unknown>;
    try {
      d = JSON.parse(m[2]);
    } catch {
      continue; // a line cut by other output
    }
    out.push({ atMs: Number(m[1]), kind: String(d.gc), pauseMs: Number(d.pause), markMs: Number(d.mark ?? 0), liveMb: Number(d.end_object_size) / 1e6 });
  }
  return out;
}

export function gcSummary(events: GcEvent[]) {
  const of = (kind: string) => {
    const es = events.filter((e) => e.kind === kind);
    const pauses = es.map((e) => e.pauseMs).sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      count: es.length,
      pauseMsTotal: round(pauses.reduce((a, b) => a + b, 0)),
      pauseMsMedian: pauses.length ? round(pauses[Math.floor(pauses.length / 2)]) : null,
      pauseMsMax: pauses.length ? round(pauses[pauses.length - 1]) : null,
      over4Ms: pauses.filter((p) => p > 4).length,
      ...(kind === 'mc' ? { markMs: es.map((e) => round(e.markMs)), liveMbAfter: es.map((e) => round(e.liveMb)) } : {}),
    };
  };
  return { scavenge: of('s'), markCompact: of('mc') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) throw new Error('usage: gc-pauses.ts <workerd log with --trace-gc-nvp lines> [--json]');
  const s = gcSummary(gcEvents(readFileSync(positionals[0], 'utf8')));
  console.log(values.json ? JSON.stringify(s, null, 2) : `scavenges ${JSON.stringify(s.scavenge)}\nfull collections ${JSON.stringify(s.markCompact)}`);
}
