/**
 * Drift of the intent classifier's outputs, pure (no I/O, no clock of its own): the population
 * stability index (PSI) of the intent distribution and of the confidence histogram of recent
 * predictions against a baseline (the model's predictions on its validation and test splits),
 * over time-based sliding windows. PSI above 0.1 warns, above 0.2 alerts.
 *
 *   PSI = Σ_i (a_i − e_i) · ln(a_i / e_i)   over bins i, with proportions a (actual) and e (expected)
 *
 * Empty bins are floored at PSI_EPSILON so that the index stays finite; a window with fewer than
 * `minSamples` predictions reports its PSI with status `insufficient` (small samples inflate PSI).
 */

export const PSI_WARN = 0.1;
export const PSI_ALERT = 0.2;
export const PSI_EPSILON = 1e-4;
/** Equal-width confidence bins over [0, 1]. */
export const CONFIDENCE_BINS = 10;

export type DriftStatus = 'ok' | 'warn' | 'alert' | 'insufficient';

/** Reference distribution: intent counts and a confidence histogram (CONFIDENCE_BINS counts). */
export interface DriftBaseline {
  /** Where it came from, e.g. "switchyard-store-intent@1.0.0 on val+test". */
  source: string;
  n: number;
  intents: Record<string, number>;
  confidence: number[];
}

/** PSI of two distributions given as counts or proportions over the same bins (normalized here). */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length) throw new RangeError(`psi: ${expected.length} expected bins but ${actual.length} actual bins`);
  if (!expected.length) throw new RangeError('psi: no bins');
  for (let i = 0; i < expected.length; i++) {
    if (!(expected[i] >= 0) || !(actual[i] >= 0) || !Number.isFinite(expected[i] + actual[i])) throw new RangeError(`psi: bin ${i} is negative or not a finite number`);
  }
  const se = sum(expected);
  const sa = sum(actual);
  if (!(se > 0) || !(sa > 0)) throw new RangeError('psi: both distributions need a positive total');
  let out = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / se, epsilon);
    const a = Math.max(actual[i] / sa, epsilon);
    out += (a - e) * Math.log(a / e);
  }
  return out;
}

/** PSI over categories (e.g. intents): the union of both key sets, missing keys counting 0. */
export function categoricalPsi(expected: Readonly<Record<string, number>>, actual: Readonly<Record<string, number>>, epsilon = PSI_EPSILON): number {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return psi(
    keys.map((k) => expected[k] ?? 0),
    keys.map((k) => actual[k] ?? 0),
    epsilon,
  );
}

export function psiStatus(value: number, n: number, minSamples: number): DriftStatus {
  if (n < minSamples) return 'insufficient';
  return value > PSI_ALERT ? 'alert' : value > PSI_WARN ? 'warn' : 'ok';
}

/** The bin of a confidence in [0, 1] (values outside are clamped; 1.0 falls in the last bin). */
export function confidenceBin(confidence: number, bins = CONFIDENCE_BINS): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(confidence * bins)));
}

export function baselineFromPredictions(preds: readonly { intent: string; confidence: number }[], source: string): DriftBaseline {
  const intents: Record<string, number> = {};
  const confidence = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const p of preds) {
    intents[p.intent] = (intents[p.intent] ?? 0) + 1;
    confidence[confidenceBin(p.confidence)]++;
  }
  return { source, n: preds.length, intents, confidence };
}

/** Checks a baseline read from JSON (the registry stores it with the model version). */
export function isDriftBaseline(x: unknown): x is DriftBaseline {
  const b = x as DriftBaseline;
  return (
    !!b &&
    typeof b.source === 'string' &&
    Number.isInteger(b.n) &&
    b.n > 0 &&
    Array.isArray(b.confidence) &&
    b.confidence.length === CONFIDENCE_BINS &&
    b.confidence.every((c) => Number.isFinite(c) && c >= 0) &&
    !!b.intents &&
    typeof b.intents === 'object' &&
    Object.values(b.intents).every((c) => Number.isFinite(c) && c >= 0)
  );
}

interface Bucket {
  start: number;
  n: number;
  intents: Map<string, number>;
  confidence: number[];
}

export interface WindowCounts {
  n: number;
  intents: Record<string, number>;
  confidence: number[];
}

/**
 * Prediction counts over the last `windowMs`, kept in `bucketMs` buckets (memory is one bucket
 * per bucketMs, whatever the traffic). The window is the buckets that started within windowMs of
 * `now`, so its span is windowMs rounded up to a bucket.
 */
export class SlidingWindow {
  private readonly buckets: Bucket[] = [];

  constructor(
    readonly windowMs: number,
    readonly bucketMs = Math.max(1000, Math.floor(windowMs / 60)),
  ) {
    if (!(windowMs > 0) || !(bucketMs > 0) || bucketMs > windowMs) throw new RangeError('SlidingWindow: need 0 < bucketMs <= windowMs');
  }

  observe(intent: string, confidence: number, now: number): void {
    const start = now - (now % this.bucketMs);
    let b = this.buckets[this.buckets.length - 1];
    // A clock that went backwards counts in the newest bucket (buckets stay in order).
    if (!b || b.start < start) {
      b = { start, n: 0, intents: new Map(), confidence: new Array<number>(CONFIDENCE_BINS).fill(0) };
      this.buckets.push(b);
    }
    b.n++;
    b.intents.set(intent, (b.intents.get(intent) ?? 0) + 1);
    b.confidence[confidenceBin(confidence)]++;
    this.evict(now);
  }

  counts(now: number): WindowCounts {
    this.evict(now);
    const intents: Record<string, number> = {};
    const confidence = new Array<number>(CONFIDENCE_BINS).fill(0);
    let n = 0;
    for (const b of this.buckets) {
      n += b.n;
      for (const [k, v] of b.intents) intents[k] = (intents[k] ?? 0) + v;
      for (let i = 0; i < CONFIDENCE_BINS; i++) confidence[i] += b.confidence[i];
    }
    return { n, intents, confidence };
  }

  private evict(now: number): void {
    const oldest = now - this.windowMs;
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop].start + this.bucketMs <= oldest) drop++;
    if (drop) this.buckets.splice(0, drop);
  }
}

export interface SignalDrift {
  psi: number | null;
  status: DriftStatus;
}

export interface WindowDrift {
  window: string;
  windowMs: number;
  n: number;
  intent: SignalDrift;
  confidence: SignalDrift;
  /** The intents that moved most (share in the window minus share in the baseline). */
  topShifts: { intent: string; baseline: number; window: number }[];
}

export interface DriftReport {
  baseline: { source: string; n: number } | null;
  thresholds: { warn: number; alert: number; minSamples: number };
  /** The worst status over windows and signals (ignoring `insufficient` unless all are). */
  status: DriftStatus | 'no_baseline';
  windows: WindowDrift[];
}

export interface DriftMonitorOptions {
  windows?: { name: string; ms: number; bucketMs?: number }[];
  minSamples?: number;
}

export const DEFAULT_WINDOWS = [
  { name: '15m', ms: 15 * 60_000, bucketMs: 15_000 },
  { name: '1h', ms: 60 * 60_000, bucketMs: 60_000 },
];

/** Sliding windows of predictions compared with a baseline. */
export class DriftMonitor {
  private readonly windows: { name: string; w: SlidingWindow }[];
  readonly minSamples: number;

  constructor(
    private baseline: DriftBaseline | null = null,
    opts: DriftMonitorOptions = {},
  ) {
    this.windows = (opts.windows ?? DEFAULT_WINDOWS).map((w) => ({ name: w.name, w: new SlidingWindow(w.ms, w.bucketMs) }));
    this.minSamples = opts.minSamples ?? 200;
  }

  get hasBaseline(): boolean {
    return this.baseline !== null;
  }

  setBaseline(b: DriftBaseline | null): void {
    this.baseline = b;
  }

  observe(intent: string, confidence: number, now = Date.now()): void {
    if (typeof intent !== 'string' || !intent || !Number.isFinite(confidence)) return;
    for (const { w } of this.windows) w.observe(intent, confidence, now);
  }

  report(now = Date.now()): DriftReport {
    const b = this.baseline;
    const windows = this.windows.map(({ name, w }): WindowDrift => {
      const c = w.counts(now);
      if (!b || c.n === 0) {
        const status: DriftStatus = 'insufficient';
        return { window: name, windowMs: w.windowMs, n: c.n, intent: { psi: null, status }, confidence: { psi: null, status }, topShifts: [] };
      }
      const ip = categoricalPsi(b.intents, c.intents);
      const cp = psi(b.confidence, c.confidence);
      return {
        window: name,
        windowMs: w.windowMs,
        n: c.n,
        intent: { psi: ip, status: psiStatus(ip, c.n, this.minSamples) },
        confidence: { psi: cp, status: psiStatus(cp, c.n, this.minSamples) },
        topShifts: topShifts(b, c),
      };
    });
    return {
      baseline: b ? { source: b.source, n: b.n } : null,
      thresholds: { warn: PSI_WARN, alert: PSI_ALERT, minSamples: this.minSamples },
      status: b ? worst(windows.flatMap((w) => [w.intent.status, w.confidence.status])) : 'no_baseline',
      windows,
    };
  }
}

function topShifts(b: DriftBaseline, c: WindowCounts, k = 3) {
  const keys = new Set([...Object.keys(b.intents), ...Object.keys(c.intents)]);
  return [...keys]
    .map((intent) => ({ intent, baseline: (b.intents[intent] ?? 0) / b.n, window: (c.intents[intent] ?? 0) / c.n }))
    .sort((x, y) => Math.abs(y.window - y.baseline) - Math.abs(x.window - x.baseline) || x.intent.localeCompare(y.intent))
    .slice(0, k);
}

const RANK: Record<DriftStatus, number> = { insufficient: 0, ok: 1, warn: 2, alert: 3 };
function worst(statuses: DriftStatus[]): DriftStatus {
  return statuses.reduce<DriftStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), 'insufficient');
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
