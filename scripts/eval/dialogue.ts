/**
 * `npm run -s eval -- dialogue [--json] [--limit N] [--generator extractive|bedrock|openai] [--turns file.jsonl] [--file set.jsonl]`:
 * plays the store's dialogue set (domains/kitsune-books/eval/dialogues.jsonl, or --file: another set in
 * its format, e.g. eval/dialogues-holdout.jsonl) against the real
 * regional service (fresh SQLite, in process) behind the real edge Worker in workerd (wrangler
 * dev), one sessionId per dialogue, in file order (so each trap group's sessions meet the same
 * cache in a fixed order), and prints turn pass rate, resolution accuracy, wrong-cache-hit count,
 * path shares and p50/p99; writes reports/dialogue.html (and every scored turn as JSONL with --turns). Lives outside models/ because it runs
 * the runtimes (models/cli/eval.ts spawns it).
 * Ports: free ones, unless REGION_PORT, EDGE_PORT and INSPECTOR_PORT pin them (a shared host's assigned range).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChatReply } from '../../shared/api/chat.ts';
import { loadConfig } from '../../regional/src/config.ts';
import { STORE_DIR } from '../../regional/src/domain/store-files.ts';
import { startRegional } from '../../regional/src/server.ts';
import { startEdgeProcess } from '../edge-process.ts';
import { loadDialogues } from './dialogue-set.ts';
import { writeDialogueReport } from './dialogue-report.ts';
import { CacheLedger, scoreTurn, summarize, type TurnScore } from './dialogue-score.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, limit: { type: 'string' }, generator: { type: 'string' }, report: { type: 'string' }, turns: { type: 'string' }, file: { type: 'string' } } });
const setFile = resolve(values.file ?? join(STORE_DIR, 'eval', 'dialogues.jsonl'));
const dialogues = loadDialogues(STORE_DIR, setFile).slice(0, values.limit ? Number(values.limit) : undefined);
const log = (m: string) => {
  if (!values.json) console.error(m);
};

const dir = mkdtempSync(join(tmpdir(), 'sy-dialogue-'));
// The environment configures the region as for `npm start` (LLM backend, credentials, budgets); the database is the run's own, and
// the ports are free ones unless REGION_PORT, EDGE_PORT and INSPECTOR_PORT (wrangler's inspector) pin them (a shared host's port ranges).
const pinned = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const regional = await startRegional(loadConfig({ LOG_LEVEL: 'warn', ...process.env, PORT: String(pinned('REGION_PORT') ?? 0), DATABASE_URL: join(dir, 'regional.db'), ...(values.generator ? { LLM_BACKEND: values.generator } : {}) }), () => {});
let edge: Awaited<ReturnType<typeof startEdgeProcess>> | undefined;
try {
  edge = await startEdgeProcess({ port: pinned('EDGE_PORT') ?? (await freePort()), inspectorPort: pinned('INSPECTOR_PORT'), regionalUrl: regional.url, persistTo: join(dir, 'wrangler'), vars: { MODEL_REFRESH_INTERVAL_MS: '0' }, quiet: true });
  const generator = regional.services.models.find((m) => m.role === 'generator')?.info.name ?? 'unknown';
  log(`playing ${dialogues.length} dialogues (generator: ${generator})`);
  const ledger = new CacheLedger();
  const scores: TurnScore[] = [];
  const run = Date.now().toString(36);
  for (const [n, d] of dialogues.entries()) {
    // Each dialogue is its own shopper, from its own address (documentation range): the edge's
    // per-client limit (120 a minute) is for one visitor, not for a whole test set from one host.
    const clientIp = `2001:db8::${(n + 1).toString(16)}`;
    const sessionId = `dialogue-${run}-${d.id}`.slice(0, 128);
    for (const [i, t] of d.turns.entries()) {
      const t0 = performance.now();
      const res = await fetch(`${edge.url}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'cf-connecting-ip': clientIp },
        body: JSON.stringify({ message: t.message, sessionId }),
        // a reply that never comes fails the run with the turn named, instead of hanging it
        signal: AbortSignal.timeout(120_000),
      });
      const reply = (await res.json()) as ChatReply;
      const client = performance.now() - t0;
      if (!res.ok || !reply.route) throw new Error(`${d.id} turn ${i + 1}: HTTP ${res.status} ${JSON.stringify(reply).slice(0, 300)}`);
      scores.push(scoreTurn(d.id, i, t, reply, ledger, { client, server: reply.done?.latencyMs?.total ?? client }));
    }
  }
  const kinds = new Map(dialogues.map((d) => [d.id, d.kinds]));
  const summary = summarize(scores, (id) => kinds.get(id) ?? []);
  const report = values.report ?? join(import.meta.dirname, '../../reports/dialogue.html');
  writeDialogueReport(report, summary, scores, { generator, edge: 'edge Worker in workerd (wrangler dev)', at: new Date().toISOString() });
  if (values.turns) writeFileSync(values.turns, scores.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const out = { set: relative(join(STORE_DIR, '..'), setFile), generator, ...summary, report };
  console.log(values.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
} finally {
  await edge?.stop();
  await regional.close();
  rmSync(dir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
