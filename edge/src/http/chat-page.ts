/**
 * A small chat page served by the edge at `/`, talking to `/v1/chat` (server-side inference). The
 * on-device widget (browser/) replaces it where the browser can run the models itself. Titled with
 * the bundled domain pack's display name.
 */
import { bundledDomain } from '../domain/bundled-domain.ts';

const NAME = bundledDomain.displayName.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export const CHAT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${NAME} assistant — Switchyard</title>
<style>
body{font:16px/1.45 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#222}
#log{border:1px solid #ddd;border-radius:8px;padding:1rem;min-height:16rem}
.msg{margin:.5rem 0}.you{text-align:right}.you span{background:#e8f0fe}.bot span{background:#f4f4f4}
.msg span{display:inline-block;padding:.4rem .7rem;border-radius:8px;max-width:85%;white-space:pre-wrap;text-align:left}
.meta{font-size:12px;color:#777}form{display:flex;gap:.5rem;margin-top:1rem}input{flex:1;padding:.5rem;font:inherit}
</style></head><body>
<h1>${NAME} assistant</h1>
<p class="meta">Classified at the edge; templates and cache hits never reach an LLM. Each answer shows its path.</p>
<div id="log" aria-live="polite"></div>
<form id="f"><input id="q" autocomplete="off" placeholder="Ask a question…" aria-label="message"><button>Send</button></form>
<script type="module">
const log = document.getElementById('log'), q = document.getElementById('q');
const sessionId = crypto.randomUUID();
function add(cls, text) { const d = document.createElement('div'); d.className = 'msg ' + cls; const s = document.createElement('span'); s.textContent = text; d.append(s); log.append(d); return d; }
document.getElementById('f').onsubmit = async (e) => {
  e.preventDefault(); const message = q.value.trim(); if (!message) return; q.value = '';
  add('you', message); const bot = add('bot', ''); const span = bot.firstChild; const meta = document.createElement('div'); meta.className = 'meta'; bot.append(meta);
  const res = await fetch('/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, sessionId }) });
  if (!res.ok) { span.textContent = 'Error ' + res.status + ': ' + (await res.text()); return; }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader(); let buf = '';
  for (;;) { const { value, done } = await reader.read(); if (done) break; buf += value;
    let i; while ((i = buf.indexOf('\\n\\n')) >= 0) { const block = buf.slice(0, i); buf = buf.slice(i + 2);
      const ev = /event: (.*)/.exec(block)?.[1]; const data = JSON.parse(/data: (.*)/.exec(block)?.[1] ?? 'null');
      if (ev === 'route') meta.textContent = data.path + ' · ' + data.intent + ' (' + data.confidence.toFixed(2) + ')' + (data.fallbacks.length ? ' · ' + data.fallbacks.join(', ') : '');
      if (ev === 'delta') span.textContent += data.text;
      if (ev === 'done') meta.textContent += ' · ' + Math.round(data.latencyMs.total) + ' ms';
    } }
};
</script></body></html>`;
