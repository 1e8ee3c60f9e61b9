/**
 * The diagnostics panel (shown with the `debug` attribute): backend, model versions, timings, and
 * why the last answer took its path (confidence vs thresholds, cache similarity vs the hit
 * threshold and the key frame compared, the words that drove the intent when explained).
 */
import type { DecisionExplanation } from '../../../shared/api/chat.ts';
import { explainLookup, explainPrediction } from '../../../shared/routing/explain.ts';
import type { DeviceContext, DeviceDecision } from '../chat/device-answer.ts';
import type { Diagnostics } from '../diagnostics.ts';

/** The device's own decision, explained the way the edge explains its route events. */
export function explainDevice(d: DeviceDecision, ctx: DeviceContext): DecisionExplanation {
  const lookup = d.kind === 'template' ? undefined : d.lookup;
  return { ...explainPrediction(d.prediction, ctx.models.classifier.calibration), ...(lookup ? { cache: explainLookup(lookup) } : {}) };
}

/** "0.97 ≥ route 0.96 · oos 0.42 · decline 0.9" and "0.61 ≥ hit 0.33 · format/hardcover · product:berserk". */
export function decisionRows(x: DecisionExplanation): [string, string][] {
  const f = (v: number) => v.toFixed(2);
  const rows: [string, string][] = [
    ['confidence', `${f(x.confidence)} ${x.confidence >= x.routeThreshold ? '≥' : '<'} route ${f(x.routeThreshold)} · oos ${f(x.oosThreshold)}${x.declineThreshold !== undefined ? ` · decline ${f(x.declineThreshold)}` : ''}`],
  ];
  if (x.cache) {
    const c = x.cache;
    const sim = c.similarity === null ? 'empty frame' : `${f(c.similarity)} ${c.similarity >= c.threshold ? '≥' : '<'} hit ${f(c.threshold)}`;
    const frame = [c.frame.aspect || '–', c.frame.qualifier, c.frame.entities || 'no entities'].filter(Boolean).join(' · ');
    rows.push(['cache', `${c.hit ? 'hit' : 'miss'} · ${sim}`], ['key frame', frame]);
  }
  if (x.tokens?.length) rows.push(['top words', x.tokens.map((t) => `${t.token} ${t.weight >= 0 ? '+' : ''}${t.weight.toFixed(2)}`).join(', ')]);
  return rows;
}

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
    rows.push(['embedder', `${d.models.embedder}${d.embedderError ? ` · failed: ${d.embedderError}` : d.embedderLoaded ? '' : ' · loads with the first cacheable question'}`]);
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
    if (a.decision) rows.push(...decisionRows(a.decision));
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
