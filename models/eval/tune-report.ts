/**
 * The tuner's HTML report: one uPlot chart of precision versus coverage per intent, for routing
 * (confidence thresholds) and for the cache (cosine thresholds within key frames), with the
 * proposed threshold marked in the legend. Self-contained: uPlot's built files are inlined.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { escapeHtml } from '../../shared/report/escape-html.ts';
import type { Curve } from './routing-curves.ts';

export interface Chart {
  title: string;
  proposed: string;
  curve: Curve;
}

export function tuneReportHtml(title: string, sections: { heading: string; charts: Chart[] }[]): string {
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  let n = 0;
  const blocks = sections
    .map((s) => {
      const charts = s.charts
        .map((c) => {
          const id = `c${n++}`;
          // x = coverage (sorted ascending), y = precision
          const order = c.curve.coverage.map((_, i) => i).sort((a, b) => c.curve.coverage[a] - c.curve.coverage[b]);
          const data = [order.map((i) => c.curve.coverage[i]), order.map((i) => (Number.isNaN(c.curve.precision[i]) ? null : c.curve.precision[i]))];
          return `<figure><figcaption>${escapeHtml(c.title)} — proposed ${escapeHtml(c.proposed)}</figcaption><div id="${id}"></div>
<script>new uPlot({width:420,height:240,scales:{x:{time:false,range:[0,1]},y:{range:[0.8,1]}},axes:[{label:'coverage'},{label:'precision'}],series:[{label:'coverage'},{label:'precision',stroke:'#c0392b',points:{show:true,size:4}}]},${JSON.stringify(data)},document.getElementById('${id}'));</script></figure>`;
        })
        .join('\n');
      return `<h2>${escapeHtml(s.heading)}</h2><div class="grid">${charts}</div>`;
    })
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${css}body{font:14px system-ui;margin:1.5rem}.grid{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}</style><script>${js}</script><h1>${escapeHtml(title)}</h1>${blocks}`;
}
