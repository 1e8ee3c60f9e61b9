/** The diagnostics panel (shown with the `debug` attribute): backend, model versions, timings. */
import type { Diagnostics } from '../diagnostics.ts';

const ms = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(x)} ms`);
const kb = (b: number | undefined) => (b === undefined ? '–' : `${(b / 1024).toFixed(0)} KiB`);

export function diagnosticsRows(d: Diagnostics): [string, string][] {
  const rows: [string, string][] = [['state', d.status + (d.code ? ` (${d.code})` : '')]];
  if (d.trigger) rows.push(['loaded on', d.trigger]);
  if (d.reason) rows.push(['reason', d.reason]);
  rows.push(['backend', d.backend ? `${d.backend}${d.threads && d.threads > 1 ? ` · ${d.threads} threads` : ''}` : '–']);
  if (d.adapter) rows.push(['adapter', d.adapter]);
  if (d.webgpuSkipped) rows.push(['webgpu', d.webgpuSkipped]);
  if (d.models) {
    rows.push(['classifier', d.models.classifier]);
    rows.push(['embedder', d.models.embedder]);
  }
  if (d.timings) {
    const t = d.timings;
    rows.push(['load', `runtime ${ms(t.runtimeMs)} · files ${ms(t.filesMs)} · sessions ${ms(t.sessionsMs)} · warm-up ${ms(t.warmupMs)}`]);
    rows.push(['first inference', `${ms(t.firstInferenceMs)} (budget ${d.budgetMs} ms)`]);
    rows.push(['ready after', ms(d.readyMs)]);
  }
  if (d.transfer) rows.push(['files', `network ${kb(d.transfer.networkBytes)} · cache ${kb(d.transfer.cacheBytes)}`]);
  if (d.cacheStorage) rows.push(['local cache', d.cacheStorage]);
  rows.push(['edge', d.edgeUrl + (d.online ? '' : ' (offline)')]);
  const a = d.last;
  if (a) {
    const where = `${a.origin} via ${a.path}${a.intent ? ` · ${a.intent} ${a.confidence?.toFixed(2) ?? ''}` : ''}`;
    rows.push(['last answer', where]);
    const parts = [`total ${ms(a.ms)}`];
    if (a.device) parts.push(`classify ${ms(a.device.classifyMs)}`, `answer ${ms(a.device.answerMs)}`);
    if (a.firstTextMs !== undefined && a.edge) parts.push(`first text ${ms(a.firstTextMs)}`);
    rows.push(['timings', parts.join(' · ')]);
    if (a.edge?.traceId) rows.push(['trace', a.edge.traceId]);
  }
  return rows;
}

export function renderDebug(dl: HTMLDListElement, d: Diagnostics): void {
  dl.replaceChildren(
    ...diagnosticsRows(d).flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dd.dataset.key = k;
      return [dt, dd];
    }),
  );
}
