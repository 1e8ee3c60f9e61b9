/**
 * A single self-contained HTML report for an intent classifier: inline CSS and SVG only,
 * no scripts, no external resources.
 *
 * Sections: headline metrics, confusion sub-matrix of the most-confused intents, reliability
 * diagram (15 bins), latency histogram, peer comparison.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  confusionMatrix,
  intentMetrics,
  mostConfused,
  percentiles,
  reliabilityBins,
  type OosTradeoffPoint,
  type Prediction,
} from '../../shared/eval/metrics.ts';
import { escapeHtml } from '../../shared/report/escape-html.ts';

export type MetricFormat = 'pct' | 'num' | 'int' | 'ms' | 's' | 'bytes' | 'text';

export interface HeadlineMetric {
  label: string;
  value: number | string | null | undefined;
  format?: MetricFormat;
  note?: string;
}

/**
 * One row of the peer table. Columns are the union of keys over rows (except `name`), in first
 * seen order. Formatting follows the key: `*Ms` ms, `*Seconds` s, `*Bytes` bytes,
 * `n*`/`count` integers, other numbers in [0, 1] percent.
 */
export interface PeerRow {
  name: string;
  [column: string]: number | string | null | undefined;
}

export interface IntentReportData {
  title?: string;
  dataset: string;
  model?: string;
  /** ISO time; defaults to now. */
  generatedAt?: string;
  /** Headline rows; default: accuracy, in-scope accuracy, OOS recall, macro-F1, ECE from `predictions`. */
  metrics?: HeadlineMetric[];
  /** Test predictions: the confusion matrix and the reliability diagram are drawn from them. */
  predictions: readonly Prediction[];
  /** Single-query latencies in ms (the histogram is omitted when absent). */
  latencyMs?: readonly number[];
  peers?: readonly PeerRow[];
  /** Free-text lines shown under the title. */
  notes?: readonly string[];
  /** Size of the confusion sub-matrix (default 10). */
  confusedK?: number;
  /** Test in-scope accuracy / oos recall per out-of-scope cut, and the cut validation chose. */
  oosTradeoff?: { chosen: number; points: readonly OosTradeoffPoint[] };
}

// ---------------------------------------------------------------------------------------------
// Formatting


export function formatValue(value: number | string | null | undefined, format?: MetricFormat): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '—' : value > 0 ? '∞' : '−∞';
  switch (format ?? (Number.isInteger(value) ? 'int' : Math.abs(value) <= 1 ? 'pct' : 'num')) {
    case 'pct':
      return `${(value * 100).toFixed(2)}%`;
    case 'int':
      return Math.round(value).toLocaleString('en-US');
    case 'ms':
      return `${value < 10 ? value.toFixed(3) : value.toFixed(1)} ms`;
    case 's':
      return `${value.toFixed(1)} s`;
    case 'bytes':
      return value >= 1 << 20 ? `${(value / (1 << 20)).toFixed(2)} MiB` : `${(value / 1024).toFixed(1)} KiB`;
    case 'text':
      return String(value);
    default:
      return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
  }
}

function formatForKey(key: string): MetricFormat | undefined {
  if (/Ms$/.test(key)) return 'ms';
  if (/(Seconds|Sec)$/.test(key)) return 's';
  if (/Bytes$/.test(key)) return 'bytes';
  if (/^n([A-Z]|$)|count/i.test(key)) return 'int';
  return undefined;
}

function headerForKey(key: string): string {
  return key
    .replace(/Ms$/, ' (ms)')
    .replace(/Seconds$/, ' (s)')
    .replace(/Bytes$/, ' (bytes)')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/^./, (c) => c.toUpperCase());
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '0');

// ---------------------------------------------------------------------------------------------
// Sections

function metricsTable(rows: readonly HeadlineMetric[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${escapeHtml(r.label)}</th><td class="num">${escapeHtml(formatValue(r.value, r.format))}</td>` +
        `<td class="note">${r.note ? escapeHtml(r.note) : ''}</td></tr>`,
    )
    .join('\n');
  return `<table class="metrics"><thead><tr><th>Metric</th><th>Value</th><th></th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function confusionSection(preds: readonly Prediction[], k: number): string {
  const sub = mostConfused(confusionMatrix(preds), k);
  if (sub.labels.length === 0) return '<p>No errors: nothing to show.</p>';
  let max = 0;
  sub.matrix.forEach((row, i) => row.forEach((v, j) => i !== j && v > max && (max = v)));
  const head = sub.labels.map((l, j) => `<th class="col" title="${escapeHtml(l)}"><span>${j + 1}</span></th>`).join('');
  const body = sub.labels
    .map((l, i) => {
      const cells = sub.matrix[i]
        .map((v, j) => {
          if (i === j) return `<td class="diag">${v}</td>`;
          const a = max ? v / max : 0;
          const bg = v ? `background: rgba(200, 40, 40, ${(0.1 + 0.75 * a).toFixed(2)});` : '';
          const color = a > 0.6 ? 'color: #fff;' : '';
          return `<td style="${bg}${color}">${v || ''}</td>`;
        })
        .join('');
      return `<tr><th scope="row">${i + 1}. ${escapeHtml(l)}</th>${cells}<td class="note">${sub.errors[i]}</td></tr>`;
    })
    .join('\n');
  return (
    `<p>Rows: gold intent; columns: predicted intent (numbered as the rows). The ${sub.labels.length} intents with the most ` +
    `errors (as gold or as prediction) over the whole matrix; the diagonal (correct) is grey. Last column: errors involving the intent.</p>` +
    `<table class="confusion"><thead><tr><th>gold \\ predicted</th>${head}<th>errors</th></tr></thead><tbody>\n${body}\n</tbody></table>`
  );
}

function reliabilitySvg(preds: readonly Prediction[], bins = 15): string {
  const rb = reliabilityBins(preds, bins);
  const W = 420;
  const H = 420;
  const m = { l: 50, r: 15, t: 15, b: 45 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x = (v: number) => m.l + v * pw;
  const y = (v: number) => m.t + (1 - v) * ph;
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    parts.push(`<line x1="${x(0)}" y1="${fmt(y(v))}" x2="${x(1)}" y2="${fmt(y(v))}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`);
    parts.push(`<text x="${fmt(x(v))}" y="${H - m.b + 16}" text-anchor="middle">${v.toFixed(1)}</text>`);
  }
  for (const b of rb) {
    if (!b.count) continue;
    const bx = x(b.lo) + 1;
    const bw = x(b.hi) - x(b.lo) - 2;
    // Accuracy bar, and the gap to the mean confidence of the bin.
    parts.push(
      `<rect x="${fmt(bx)}" y="${fmt(y(b.accuracy))}" width="${fmt(bw)}" height="${fmt(y(0) - y(b.accuracy))}" fill="#4a78b5">` +
        `<title>(${b.lo.toFixed(3)}, ${b.hi.toFixed(3)}]: n=${b.count}, accuracy ${b.accuracy.toFixed(3)}, confidence ${b.confidence.toFixed(3)}</title></rect>`,
    );
    const top = Math.max(b.accuracy, b.confidence);
    const bot = Math.min(b.accuracy, b.confidence);
    parts.push(
      `<rect x="${fmt(bx)}" y="${fmt(y(top))}" width="${fmt(bw)}" height="${fmt(y(bot) - y(top))}" fill="rgba(220,60,60,0.25)" stroke="#c33" stroke-width="0.5"/>`,
    );
  }
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">confidence (max probability)</text>`);
  parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`);
  const table = rb
    .filter((b) => b.count)
    .map(
      (b) =>
        `<tr><td>(${b.lo.toFixed(2)}, ${b.hi.toFixed(2)}]</td><td class="num">${b.count}</td>` +
        `<td class="num">${b.confidence.toFixed(3)}</td><td class="num">${b.accuracy.toFixed(3)}</td></tr>`,
    )
    .join('');
  return (
    `<div class="row"><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-size="11" font-family="sans-serif" role="img" aria-label="reliability diagram">${parts.join('')}</svg>` +
    `<table class="small"><thead><tr><th>bin</th><th>n</th><th>conf.</th><th>acc.</th></tr></thead><tbody>${table}</tbody></table></div>` +
    `<p>Blue: accuracy per confidence bin (${bins} equal-width bins); red: gap to the bin's mean confidence; dashed: perfect calibration.</p>`
  );
}

function latencySvg(latencies: readonly number[], nbins = 30): string {
  if (latencies.length === 0) return '<p>No latency samples.</p>';
  const s = percentiles(latencies);
  const hiEdge = Math.max(s.p99 * 1.25, Math.min(...latencies) * 1.01, 1e-6);
  const counts = new Array<number>(nbins + 1).fill(0); // last bin: overflow
  for (const v of latencies) counts[v >= hiEdge ? nbins : Math.min(nbins - 1, Math.floor((v / hiEdge) * nbins))]++;
  const W = 640;
  const H = 260;
  const m = { l: 50, r: 15, t: 15, b: 45 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const maxC = Math.max(...counts);
  const bw = pw / (nbins + 1);
  const parts: string[] = [];
  counts.forEach((c, i) => {
    const h = maxC ? (c / maxC) * ph : 0;
    const lo = (i * hiEdge) / nbins;
    const label = i === nbins ? `>= ${hiEdge.toFixed(3)} ms` : `[${lo.toFixed(3)}, ${(((i + 1) * hiEdge) / nbins).toFixed(3)}) ms`;
    parts.push(
      `<rect x="${fmt(m.l + i * bw + 0.5)}" y="${fmt(m.t + ph - h)}" width="${fmt(bw - 1)}" height="${fmt(h)}" fill="${i === nbins ? '#b56a4a' : '#4a78b5'}"><title>${label}: ${c}</title></rect>`,
    );
  });
  for (const [name, v] of [
    ['p50', s.p50],
    ['p99', s.p99],
  ] as const) {
    const px = m.l + Math.min(1, v / hiEdge) * (pw - bw);
    parts.push(`<line x1="${fmt(px)}" y1="${m.t}" x2="${fmt(px)}" y2="${m.t + ph}" stroke="#c33" stroke-dasharray="3 3"/>`);
    parts.push(`<text x="${fmt(px + 3)}" y="${m.t + 10}" fill="#c33">${name}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const v = (i / 5) * hiEdge;
    parts.push(`<text x="${fmt(m.l + (i / 5) * (pw - bw))}" y="${H - m.b + 16}" text-anchor="middle">${v.toFixed(2)}</text>`);
  }
  parts.push(`<text x="${m.l - 6}" y="${m.t + 8}" text-anchor="end">${maxC}</text>`);
  parts.push(`<text x="${m.l - 6}" y="${m.t + ph}" text-anchor="end">0</text>`);
  parts.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${W - m.r}" y2="${m.t + ph}" stroke="#999"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">latency per query (ms); last bar: overflow</text>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-size="11" font-family="sans-serif" role="img" aria-label="latency histogram">${parts.join('')}</svg>` +
    `<p>n = ${s.n.toLocaleString('en-US')}, mean ${formatValue(s.mean, 'ms')}, p50 ${formatValue(s.p50, 'ms')}, ` +
    `p90 ${formatValue(s.p90, 'ms')}, p99 ${formatValue(s.p99, 'ms')}, max ${formatValue(s.max, 'ms')}.</p>`
  );
}

function tradeoffSection(t: NonNullable<IntentReportData['oosTradeoff']>): string {
  const rows = t.points
    .map((p) => {
      const chosen = p.cut === t.chosen;
      return `<tr${chosen ? ' style="font-weight:bold"' : ''}><td class="num">${p.cut.toFixed(3)}${chosen ? ' (validation)' : ''}</td><td class="num">${(p.inScopeAccuracy * 100).toFixed(2)}%</td><td class="num">${(p.oosRecall * 100).toFixed(1)}%</td></tr>`;
    })
    .join('');
  return (
    `<table class="small"><thead><tr><th>cut</th><th>in-scope acc.</th><th>oos recall</th></tr></thead><tbody>${rows}</tbody></table>` +
    '<p>Test scores had the out-of-scope cut (top probability below it, or top label oos) been each value; bold: the cut chosen on validation.</p>'
  );
}

function peersTable(peers: readonly PeerRow[]): string {
  if (peers.length === 0) return '<p>No peers.</p>';
  const cols: string[] = [];
  for (const p of peers) for (const k of Object.keys(p)) if (k !== 'name' && !cols.includes(k)) cols.push(k);
  const head = cols.map((c) => `<th>${escapeHtml(headerForKey(c))}</th>`).join('');
  const body = peers
    .map(
      (p) =>
        `<tr><th scope="row">${escapeHtml(p.name)}</th>${cols
          .map((c) => `<td class="num">${escapeHtml(formatValue(p[c], formatForKey(c)))}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table class="peers"><thead><tr><th>Model</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// Page

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2em auto; max-width: 1000px; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta, .note, p { color: #555; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
thead th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.confusion td { text-align: center; min-width: 2.2em; font-variant-numeric: tabular-nums; }
table.confusion td.diag { background: #e8e8e8; color: #555; }
table.confusion th.col { text-align: center; }
table.small td, table.small th { padding: 1px 6px; font-size: 12px; }
.row { display: flex; gap: 2em; align-items: flex-start; flex-wrap: wrap; }
svg text { fill: #333; }
`;

/** Renders the report as one HTML string. */
export function renderIntentReport(data: IntentReportData): string {
  const title = data.title ?? `Intent classifier report: ${data.dataset}`;
  const metrics = data.metrics ?? defaultMetrics(data.predictions);
  const meta = [
    `dataset <b>${escapeHtml(data.dataset)}</b>`,
    data.model ? `model <b>${escapeHtml(data.model)}</b>` : '',
    `${data.predictions.length.toLocaleString('en-US')} evaluated examples`,
    `generated ${escapeHtml(data.generatedAt ?? new Date().toISOString())}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const notes = (data.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="meta">${meta}</div>
${notes}
<h2>Headline metrics</h2>
${metricsTable(metrics)}
<h2>Most-confused intents</h2>
${confusionSection(data.predictions, data.confusedK ?? 10)}
<h2>Reliability diagram</h2>
${reliabilitySvg(data.predictions, 15)}
${data.oosTradeoff ? `<h2>Out-of-scope trade-off</h2>\n${tradeoffSection(data.oosTradeoff)}` : ''}
<h2>Latency</h2>
${data.latencyMs ? latencySvg(data.latencyMs) : '<p>No latency samples.</p>'}
<h2>Peer comparison</h2>
${peersTable(data.peers ?? [])}
</body>
</html>
`;
}

/** Headline metrics computed from predictions. */
export function defaultMetrics(preds: readonly Prediction[]): HeadlineMetric[] {
  const m = intentMetrics(preds);
  return [
    { label: 'Examples', value: m.n, format: 'int' },
    { label: 'Accuracy', value: m.accuracy, format: 'pct', note: 'OOS counted as a class' },
    { label: 'In-scope accuracy', value: m.inScopeAccuracy, format: 'pct', note: 'over gold in-scope examples' },
    { label: 'OOS recall', value: m.oosRecall, format: 'pct', note: m.oosRecall === null ? 'no OOS in gold' : 'gold OOS predicted OOS' },
    { label: 'Macro-F1', value: m.macroF1, format: 'pct', note: 'over gold labels, OOS included' },
    { label: 'ECE', value: m.ece, format: 'pct', note: '15 equal-width bins, max-probability confidence' },
  ];
}

/** Writes the report to `path` (parent folders are created). */
export function writeIntentReport(path: string, data: IntentReportData): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderIntentReport(data), 'utf8');
}
