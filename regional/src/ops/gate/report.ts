/**
 * The evaluation gate's report: one self-contained HTML page (inline CSS and SVG, no scripts)
 * with the verdict, every check, the metrics side by side with a bar chart, the latency
 * distributions of both models, and where the two disagree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { escapeHtml } from '../../../../shared/report/escape-html.ts';
import type { AnswerGateResult, EmbedderGateResult, GateCheck, RerankerGateResult, GateLatency, GateModelResult, LatencySpread } from './rules.ts';

export interface GateDatasetResult {
  dataset: string;
  applicable: boolean;
  /** Why a dataset was not evaluated (labels the models do not know). */
  reason?: string;
  baseline?: GateModelResult;
  candidate?: GateModelResult;
  /** Examples where the two predicted different intents, by gold intent. */
  disagreements?: { intent: string; count: number; baselineRight: number; candidateRight: number }[];
  agreement?: number;
  mcnemar?: { b: number; c: number; chi2: number; pValue: number };
}

export interface GateReport {
  passed: boolean;
  generatedAt: string;
  /** The domain pack gated for (its registry, golden sets and thresholds). */
  domain: string;
  candidate: { model: string; dir: string };
  baseline: { model: string; dir: string };
  margins: Record<string, number>;
  checks: GateCheck[];
  datasets: GateDatasetResult[];
  /** For a sentence-embedder candidate: both embedders on the paraphrase and similarity sets. */
  embedder?: { baseline: EmbedderGateResult; candidate: EmbedderGateResult };
  /** For a cross-encoder candidate: both rerankers on the store's questions. */
  reranker?: { baseline: RerankerGateResult; candidate: RerankerGateResult };
  /** For an LLM configuration: both configurations on the golden answer set. */
  answers?: { baseline: AnswerGateResult; candidate: AnswerGateResult };
  /** runs: queries per model over all rounds; repeats: timings per query and model, the fastest kept. */
  latency: { baseline: GateLatency; candidate: GateLatency; runs: number; rounds: number; repeats: number; ratioSpread: LatencySpread };
  /** What the gate cannot judge for this kind of model. */
  notes: string[];
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '0');
const pct = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(2)}%`);

const CLASSIFIER_BARS = ['accuracy', 'in-scope acc.', 'macro-F1', 'route precision', 'route coverage'];
const classifierBars = (r: GateModelResult) => [r.accuracy, r.inScopeAccuracy, r.macroF1, r.routePrecision, r.routeCoverage];

/** Baseline and candidate side by side, one pair of bars per metric (0–100%). */
function barChart(metrics: string[], bv: number[], cv: number[]): string {
  const W = 640;
  const H = 240;
  const m = { l: 40, r: 10, t: 10, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const gw = pw / metrics.length;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = m.t + ph - (i / 4) * ph;
    parts.push(`<line x1="${m.l}" y1="${f(y)}" x2="${W - m.r}" y2="${f(y)}" stroke="#eee"/><text x="${m.l - 4}" y="${f(y + 4)}" text-anchor="end">${i * 25}%</text>`);
  }
  metrics.forEach((label, i) => {
    const x0 = m.l + i * gw + gw * 0.15;
    const bw = gw * 0.33;
    for (const [j, v, color, who] of [
      [0, bv[i], '#9aa7b8', 'baseline'],
      [1, cv[i], '#4a78b5', 'candidate'],
    ] as const) {
      const h = Math.max(0, Math.min(1, v)) * ph;
      parts.push(`<rect x="${f(x0 + j * bw)}" y="${f(m.t + ph - h)}" width="${f(bw - 2)}" height="${f(h)}" fill="${color}"><title>${who} ${label}: ${pct(v)}</title></rect>`);
    }
    parts.push(`<text x="${f(m.l + i * gw + gw / 2)}" y="${H - m.b + 16}" text-anchor="middle">${label}</text>`);
  });
  parts.push(`<rect x="${W - 170}" y="${H - 16}" width="10" height="10" fill="#9aa7b8"/><text x="${W - 156}" y="${H - 7}">baseline</text>`);
  parts.push(`<rect x="${W - 90}" y="${H - 16}" width="10" height="10" fill="#4a78b5"/><text x="${W - 76}" y="${H - 7}">candidate</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-size="11" font-family="sans-serif" role="img" aria-label="metrics">${parts.join('')}</svg>`;
}

/** Empirical CDFs of both models' single-query latencies, up to the larger p99 × 1.5. */
export function latencyCdfSvg(base: readonly number[], cand: readonly number[]): string {
  if (!base.length || !cand.length) return '<p>No latency samples.</p>';
  const sb = [...base].sort((a, b) => a - b);
  const sc = [...cand].sort((a, b) => a - b);
  const p99 = (s: number[]) => s[Math.min(s.length - 1, Math.floor(0.99 * (s.length - 1)))];
  const hi = Math.max(p99(sb), p99(sc)) * 1.5 || 1;
  const W = 640;
  const H = 260;
  const m = { l: 45, r: 10, t: 10, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const path = (s: number[]) => {
    const pts: string[] = [];
    const step = Math.max(1, Math.floor(s.length / 400));
    for (let i = 0; i < s.length; i += step) pts.push(`${f(m.l + Math.min(1, s[i] / hi) * pw)},${f(m.t + ph - ((i + 1) / s.length) * ph)}`);
    return `M${pts.join('L')}`;
  };
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = m.t + ph - (i / 4) * ph;
    parts.push(`<line x1="${m.l}" y1="${f(y)}" x2="${W - m.r}" y2="${f(y)}" stroke="#eee"/><text x="${m.l - 4}" y="${f(y + 4)}" text-anchor="end">${i * 25}%</text>`);
    parts.push(`<text x="${f(m.l + (i / 4) * pw)}" y="${H - m.b + 16}" text-anchor="middle">${((i / 4) * hi).toFixed(3)}</text>`);
  }
  parts.push(`<path d="${path(sb)}" fill="none" stroke="#9aa7b8" stroke-width="2"/><path d="${path(sc)}" fill="none" stroke="#4a78b5" stroke-width="2"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" text-anchor="middle">single-query latency (ms), cumulative share of queries; grey baseline, blue candidate</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-size="11" font-family="sans-serif" role="img" aria-label="latency">${parts.join('')}</svg>`;
}

/** Per-round p99 of both models, their ratio, and the pooled figures. */
function latencyRoundsTable(l: GateReport['latency']): string {
  const rows = l.baseline.roundP99Ms
    .map((b, i) => {
      const c = l.candidate.roundP99Ms[i];
      return `<tr><td class="num">${i + 1}</td><td class="num">${b.toFixed(3)}</td><td class="num">${c.toFixed(3)}</td><td class="num">${(c / b).toFixed(2)}</td></tr>`;
    })
    .join('');
  const s = l.ratioSpread;
  return (
    `<p>Gated: the median of the per-round p99s, baseline ${l.baseline.p99MedianMs.toFixed(3)} ms, candidate ${l.candidate.p99MedianMs.toFixed(3)} ms ` +
    `(ratio ${(l.candidate.p99MedianMs / l.baseline.p99MedianMs).toFixed(2)}). Per-round ratio: median ${s.median.toFixed(2)}, IQR ${s.q1.toFixed(2)}–${s.q3.toFixed(2)}, range ${s.min.toFixed(2)}–${s.max.toFixed(2)}.</p>` +
    `<p>All samples pooled: baseline p50 ${l.baseline.p50Ms.toFixed(3)} ms, p95 ${l.baseline.p95Ms.toFixed(3)} ms, p99 ${l.baseline.p99Ms.toFixed(3)} ms; ` +
    `candidate p50 ${l.candidate.p50Ms.toFixed(3)} ms, p95 ${l.candidate.p95Ms.toFixed(3)} ms, p99 ${l.candidate.p99Ms.toFixed(3)} ms.</p>` +
    `<table><thead><tr><th>round</th><th>baseline p99 ms</th><th>candidate p99 ms</th><th>ratio</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

/** Baseline against candidate, one row per metric, and the same as bars. */
function comparisonTable(title: string, rows: [label: string, baseline: number, candidate: number][]): string {
  const row = ([label, x, y]: [string, number, number]) =>
    `<tr><th scope="row">${label}</th><td class="num">${pct(x)}</td><td class="num">${pct(y)}</td><td class="num">${((y - x) * 100).toFixed(2)} pts</td></tr>`;
  return (
    `<h2>${escapeHtml(title)}</h2>` +
    `<table><thead><tr><th>metric</th><th>baseline</th><th>candidate</th><th>Δ</th></tr></thead><tbody>${rows.map(row).join('')}</tbody></table>` +
    barChart(rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]))
  );
}

function embedderTable({ baseline: b, candidate: c }: NonNullable<GateReport['embedder']>): string {
  return comparisonTable(`${b.dataset} (${b.pairs} pairs, cache hit threshold ${b.hitThreshold}) and STS-B test`, [
    ['cache hit precision', b.cachePrecision, c.cachePrecision],
    ['cache hit recall', b.cacheRecall, c.cacheRecall],
    ['STS-B Spearman', b.stsSpearman, c.stsSpearman],
  ]);
}

function rerankerTable({ baseline: b, candidate: c }: NonNullable<GateReport['reranker']>): string {
  return comparisonTable(`${b.dataset} (${b.questions} questions, hybrid top ${b.candidates} reranked)`, [
    ['nDCG@10', b.ndcg10, c.ndcg10],
    ['recall@5', b.recall5, c.recall5],
    ['MRR', b.mrr, c.mrr],
  ]);
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 2em auto; max-width: 1000px; padding: 0 1em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
thead th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 1.3em; padding: 0.5em 1em; border-radius: 4px; } .pass { background: #e3f4e3; color: #155d15; } .fail { background: #fbe3e3; color: #8a1414; }
tr.fail td { background: #fdf0f0; } p, .note { color: #555; }
`;

export function renderGateReport(r: GateReport, latencies: { baseline: readonly number[]; candidate: readonly number[] }): string {
  const checks = r.checks
    .map(
      (c) =>
        `<tr class="${c.passed ? '' : 'fail'}"><td>${escapeHtml(c.dataset)}</td><td>${escapeHtml(c.metric)}</td><td class="num">${c.metric === 'p99Ms' ? c.baseline.toFixed(3) : pct(c.baseline)}</td>` +
        `<td class="num">${c.metric === 'p99Ms' ? c.candidate.toFixed(3) : pct(c.candidate)}</td><td class="num">${c.metric === 'p99Ms' ? `≤ ${c.limit.toFixed(3)}` : `≥ ${pct(c.limit)}`}</td><td>${c.passed ? 'pass' : '<b>FAIL</b>'}</td></tr>`,
    )
    .join('\n');
  const datasets = r.datasets
    .map((d) => {
      if (!d.applicable || !d.baseline || !d.candidate) return `<h2>${escapeHtml(d.dataset)}</h2><p>Not evaluated: ${escapeHtml(d.reason ?? 'not applicable')}.</p>`;
      const b = d.baseline;
      const c = d.candidate;
      const row = (label: string, x: number | null, y: number | null) =>
        `<tr><th scope="row">${label}</th><td class="num">${pct(x)}</td><td class="num">${pct(y)}</td><td class="num">${x == null || y == null ? '—' : `${((y - x) * 100).toFixed(2)} pts`}</td></tr>`;
      const dis = (d.disagreements ?? [])
        .slice(0, 15)
        .map((x) => `<tr><td>${escapeHtml(x.intent)}</td><td class="num">${x.count}</td><td class="num">${x.baselineRight}</td><td class="num">${x.candidateRight}</td></tr>`)
        .join('');
      return (
        `<h2>${escapeHtml(d.dataset)} (n = ${b.n})</h2>` +
        `<table><thead><tr><th>metric</th><th>baseline</th><th>candidate</th><th>Δ</th></tr></thead><tbody>` +
        row('accuracy', b.accuracy, c.accuracy) +
        row('in-scope accuracy', b.inScopeAccuracy, c.inScopeAccuracy) +
        row('OOS recall', b.oosRecall, c.oosRecall) +
        row('macro-F1', b.macroF1, c.macroF1) +
        row('ECE (lower is better)', b.ece, c.ece) +
        row('routing precision', b.routePrecision, c.routePrecision) +
        row('routing coverage', b.routeCoverage, c.routeCoverage) +
        `</tbody></table>` +
        barChart(CLASSIFIER_BARS, classifierBars(b), classifierBars(c)) +
        `<p>Agreement between the two: ${pct(d.agreement ?? null)}. McNemar: ${d.mcnemar?.b ?? 0} right only by the baseline, ${d.mcnemar?.c ?? 0} only by the candidate, p = ${(d.mcnemar?.pValue ?? 1).toFixed(4)}.</p>` +
        (dis ? `<table><thead><tr><th>gold intent</th><th>disagreements</th><th>baseline right</th><th>candidate right</th></tr></thead><tbody>${dis}</tbody></table>` : '')
      );
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Evaluation gate: ${escapeHtml(r.candidate.model)}</title><style>${CSS}</style></head><body>
<h1>Evaluation gate</h1>
<p>domain <b>${escapeHtml(r.domain)}</b><br>candidate <b>${escapeHtml(r.candidate.model)}</b> (${escapeHtml(r.candidate.dir)})<br>baseline <b>${escapeHtml(r.baseline.model)}</b> (${escapeHtml(r.baseline.dir)})<br>generated ${escapeHtml(r.generatedAt)}</p>
<p class="verdict ${r.passed ? 'pass' : 'fail'}">${r.passed ? 'PASSED: the candidate may be promoted' : 'REFUSED: the candidate regresses beyond the margins'}</p>
<h2>Checks</h2>
<table><thead><tr><th>set</th><th>metric</th><th>baseline</th><th>candidate</th><th>limit</th><th></th></tr></thead><tbody>
${checks}
</tbody></table>
<p class="note">Margins: ${escapeHtml(Object.entries(r.margins).map(([k, v]) => `${k} ${v}`).join(', '))}.</p>
${r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}
${datasets}
${r.embedder ? embedderTable(r.embedder) : ''}
${r.reranker ? rerankerTable(r.reranker) : ''}
<h2>Latency (${r.latency.runs} single queries per model in ${r.latency.rounds} interleaved rounds, each the fastest of ${r.latency.repeats} timings)</h2>
${latencyCdfSvg(latencies.baseline, latencies.candidate)}
${latencyRoundsTable(r.latency)}
</body></html>`;
}

export function writeGateReport(htmlPath: string, jsonPath: string, r: GateReport, latencies: { baseline: readonly number[]; candidate: readonly number[] }): void {
  mkdirSync(dirname(htmlPath), { recursive: true });
  writeFileSync(htmlPath, renderGateReport(r, latencies));
  writeFileSync(jsonPath, JSON.stringify(r, null, 2) + '\n');
}
