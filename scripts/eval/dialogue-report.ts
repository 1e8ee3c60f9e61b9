/**
 * reports/dialogue.html: the dialogue evaluation's headline figures, pass rate by kind of
 * dialogue, and every dialogue turn by turn (message, how it was resolved, intent, path, the
 * answer, what failed). Self-contained static HTML; renders only what it is given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { escapeHtml as h } from '../../shared/report/escape-html.ts';
import type { DialogueSummary, TurnScore } from './dialogue-score.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function renderDialogueReport(summary: DialogueSummary, scores: readonly TurnScore[], meta: { generator: string; edge: string; at: string }): string {
  const head: [string, string][] = [
    ['Turns passed', `${pct(summary.turnPassRate)} of ${summary.turns}`],
    ['Dialogues passed', `${pct(summary.dialoguePassRate)} of ${summary.dialogues}`],
    ['Resolution accuracy', `${pct(summary.resolutionAccuracy)} (follow-ups ${pct(summary.followUpResolutionAccuracy)})`],
    ['Wrong cache hits', `${summary.wrongCacheHits} of ${summary.cacheHits} hits`],
    ['Intent / path / facts', `${pct(summary.intentAccuracy)} / ${pct(summary.pathAccuracy)} / ${pct(summary.factAccuracy)}`],
    ['Paths', Object.entries(summary.pathShares).map(([k, v]) => `${k} ${pct(v)}`).join(', ')],
    ['Latency p50 / p99 (client)', `${summary.latencyMs.client.p50} / ${summary.latencyMs.client.p99} ms`],
    ['Latency p50 / p99 (edge, server-side)', `${summary.latencyMs.server.p50} / ${summary.latencyMs.server.p99} ms`],
  ];
  const kinds = Object.entries(summary.byKind).sort((a, b) => a[1].passRate - b[1].passRate);
  const byDialogue = new Map<string, TurnScore[]>();
  for (const s of scores) byDialogue.set(s.dialogueId, [...(byDialogue.get(s.dialogueId) ?? []), s]);
  const rows = [...byDialogue.entries()]
    .map(([id, turns]) => {
      const ok = turns.every((t) => t.pass);
      const body = turns
        .map(
          (t) => `<tr class="${t.pass ? 'ok' : 'bad'}"><td>${t.turn}</td><td>${h(t.message)}${t.followUp ? ' <span class="tag">follow-up</span>' : ''}<div class="sub">expected: ${h(t.expected.resolved)}</div></td>
<td>${t.reply.resolved ? h(t.reply.resolved.text) + `<div class="sub">carried: ${h(t.reply.resolved.carried.join(', ') || '—')}</div>` : '—'}</td>
<td>${h(t.reply.intent)}${t.checks.intent ? '' : `<div class="sub">expected ${h(t.expected.intent)}</div>`}</td>
<td>${h(t.reply.path)}${t.cacheOrigin ? `<div class="sub">from ${h(t.cacheOrigin)}</div>` : ''}</td>
<td class="answer">${h(t.reply.text)}</td><td>${t.failures.map((f) => `<div>${h(f)}</div>`).join('')}</td></tr>`,
        )
        .join('\n');
      return `<details${ok ? '' : ' open'}><summary class="${ok ? 'ok' : 'bad'}">${h(id)} — ${turns.filter((t) => t.pass).length}/${turns.length} turns</summary>
<table><tr><th>#</th><th>Message</th><th>Resolved (edge)</th><th>Intent</th><th>Path</th><th>Answer</th><th>Failures</th></tr>${body}</table></details>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dialogue evaluation</title><style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
.ok{color:#176b2c}.bad{color:#a4161a}.sub{color:#777;font-size:12px}.tag{background:#eef;border-radius:3px;padding:0 4px;font-size:11px}.answer{max-width:36rem;color:#222}summary{cursor:pointer;margin:.3rem 0}
</style></head><body><h1>Dialogue evaluation</h1><p>${h(meta.generator)} · ${h(meta.edge)} · ${h(meta.at)}</p>
<table>${head.map(([k, v]) => `<tr><th>${h(k)}</th><td>${h(v)}</td></tr>`).join('')}</table>
<h2>By kind of dialogue</h2><table><tr><th>Kind</th><th>Turns</th><th>Passed</th></tr>${kinds.map(([k, v]) => `<tr><td>${h(k)}</td><td>${v.turns}</td><td>${pct(v.passRate)}</td></tr>`).join('')}</table>
<h2>Dialogues</h2>${rows}</body></html>`;
}

export function writeDialogueReport(path: string, ...args: Parameters<typeof renderDialogueReport>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderDialogueReport(...args));
}
