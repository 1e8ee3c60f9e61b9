/** The replay's HTML report: cost per session and path shares as sessions complete, drawn with uPlot (inlined, so the file stands alone). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { escapeHtml } from '../../shared/report/escape-html.ts';
import type { series } from './summary.ts';

const require = createRequire(import.meta.url);

export function trafficReportHtml(summary: Record<string, unknown>, s: ReturnType<typeof series>): string {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const data = JSON.stringify({ x: s.x, cost: s.costPerSession, shares: s.shares }).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Switchyard traffic replay</title>
<style>${css} body{font:14px system-ui,sans-serif;margin:24px;max-width:1000px} pre{background:#f6f6f6;padding:12px;overflow:auto}</style>
<script>${js}</script></head><body>
<h1>Traffic replay</h1>
<p>Running mean of cost per session (USD, the region's per-answer estimate at Bedrock list prices) and the share of messages per path, by sessions completed. Sessions are counted as they complete, and short sessions complete first, so the early part of the curve leans low.</p>
<div id="cost"></div><div id="shares"></div>
<h2>Summary</h2><pre>${escapeHtml(JSON.stringify(summary, null, 2))}</pre>
<script>
const d = ${data};
const w = Math.min(960, innerWidth - 48);
const x = { time: false };
new uPlot({ title: 'Cost per session (USD)', width: w, height: 280, scales: { x }, axes: [{}, { size: 70, values: (u, vs) => vs.map((v) => v.toFixed(4)) }], series: [{ label: 'sessions' }, { label: 'cost/session', stroke: '#c0392b' }] }, [d.x, d.cost], document.getElementById('cost'));
const colors = { template: '#2980b9', cache: '#27ae60', llm: '#c0392b', fallback: '#7f8c8d' };
new uPlot({ title: 'Share of messages per path', width: w, height: 280, scales: { x, y: { range: [0, 1] } },
  series: [{ label: 'sessions' }, ...Object.keys(d.shares).map((p) => ({ label: p, stroke: colors[p] }))] },
  [d.x, ...Object.values(d.shares)], document.getElementById('shares'));
</script></body></html>`;
}
