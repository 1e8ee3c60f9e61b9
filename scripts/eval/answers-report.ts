/**
 * The golden answer set's HTML report: headline figures, then every question with its answer,
 * the facts found (green), missed (amber) and wrong (red). One self-contained file: inline CSS,
 * no scripts, nothing fetched.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AnswerSummary, QuestionScore } from './answer-score.ts';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number | null) => (x === null || Number.isNaN(x) ? '–' : `${x.toFixed(1)} ms`);

export function answersReportHtml(summary: AnswerSummary & { generator: string }, scores: QuestionScore[]): string {
  const head: [string, string][] = [
    ['generator', summary.generator],
    ['questions', String(summary.questions)],
    ['fact recall', pct(summary.factRecall)],
    ['wrong-fact rate', pct(summary.wrongFactRate)],
    ['declined (out of scope)', pct(summary.declineRate)],
    ['handed off', pct(summary.handoffRate)],
    ['false declines', String(summary.falseDeclines)],
    ['questions passed', pct(summary.passRate)],
    ['grounding', pct(summary.grounding)],
    ['mean answer', `${summary.meanAnswerWords.toFixed(0)} words`],
    ['latency p50 / p99', `${ms(summary.latencyP50Ms)} / ${ms(summary.latencyP99Ms)}`],
    ['generator p50 / p99', `${ms(summary.generatorP50Ms)} / ${ms(summary.generatorP99Ms)}`],
    ['errors', String(summary.errors)],
  ];
  const chips = (xs: string[], cls: string) => xs.map((x) => `<span class="${cls}">${esc(x)}</span>`).join(' ');
  const rows = scores
    .map((s) => {
      const turns = (s.turns ?? []).map((t) => `<div class="turn">${esc(t.role)}: ${esc(t.content)}</div>`).join('');
      return `<tr class="${s.pass ? 'pass' : 'fail'}"><td>${esc(s.id)}<br><small>${esc(s.expect)}${s.intent ? ` · ${esc(s.intent)}` : ''}${s.path ? ` · ${esc(s.path)}` : ''}</small></td>
<td>${turns}<b>${esc(s.question)}</b></td><td>${esc(s.answer)}</td>
<td>${chips(s.found, 'found')} ${chips(s.missed, 'missed')} ${chips(s.wrong, 'wrong')}${s.expect !== 'answer' ? ` <span class="${(s.expect === 'decline' ? s.declined : s.handedOff) ? 'found' : 'missed'}">${s.expect}</span>` : ''}</td>
<td>${s.groundedSentences}/${s.sentences}</td><td>${s.latencyMs.toFixed(0)} ms</td></tr>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Golden answers: ${esc(summary.generator)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}
.head td{border:none;padding:2px 12px 2px 0}.found{background:#d8f5d8}.missed{background:#fde7b0}.wrong{background:#f8c6c6}span{border-radius:3px;padding:0 4px;display:inline-block;margin:1px}
tr.fail td:first-child{border-left:4px solid #d33}tr.pass td:first-child{border-left:4px solid #3a3}.turn{color:#777}small{color:#777}</style></head><body>
<h1>Golden answer set</h1><table class="head">${head.map(([k, v]) => `<tr><td>${esc(k)}</td><td><b>${esc(v)}</b></td></tr>`).join('')}</table>
<h2>Questions</h2><table><tr><th>id</th><th>question</th><th>answer</th><th>facts</th><th>grounded</th><th>latency</th></tr>
${rows}</table></body></html>`;
}

export function writeAnswersReport(path: string, summary: AnswerSummary & { generator: string }, scores: QuestionScore[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, answersReportHtml(summary, scores));
}
