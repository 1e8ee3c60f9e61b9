/**
 * `npx tsx scripts/eval/decisive-threshold.ts [--json]`: calibrates DECISIVE_MIN_RELEVANCE (the
 * reranker relevance at which the region answers from a FAQ or policy passage with no LLM call,
 * regional/src/generate/stages/decisive.ts). Asks every question of the golden answer set
 * (domains/<pack>/eval/golden-answers.jsonl) the real region (its real models, fresh SQLite seeded
 * with the store's knowledge base) with Bedrock a local ConverseStream stand-in and the threshold
 * at 0, so every decisive candidate is answered from its passage and the relevance that decided it
 * is recorded; scores those answers fact by fact (answer-score.ts) and prints, per threshold, how
 * many questions would be answered with no LLM and how many of them wrongly (a missing or wrong
 * fact, a decline or handoff where an answer was expected). The stand-in's own answers are not scored.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../regional/src/config.ts';
import { STORE_DIR } from '../../regional/src/domain/store-files.ts';
import { loadStoreKb } from '../../regional/src/retrieval/store-kb.ts';
import { startRegional } from '../../regional/src/server.ts';
import { DEFAULT_DISTRIBUTIONS, startBedrockStub } from '../traffic/bedrock-stub.ts';
import { pricesIn } from './fact-match.ts';
import { scoreQuestion } from './answer-score.ts';
import { loadGoldenSet, loadMarkers } from './golden-answers.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, 'test-split': { type: 'boolean', default: false } } });
const THRESHOLDS = [0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99];

const questions = loadGoldenSet(join(STORE_DIR, 'eval', 'golden-answers.jsonl'));
const markers = loadMarkers(join(STORE_DIR, 'eval', 'answer-markers.json'));
const docs = new Map((await loadStoreKb()).map((d) => [d.id, `${d.title}\n${d.text}`]));
const knownPrices = new Set([...docs.values()].flatMap(pricesIn));

const dir = mkdtempSync(join(tmpdir(), 'sy-decisive-'));
process.env.AWS_ACCESS_KEY_ID ??= 'decisive-threshold';
process.env.AWS_SECRET_ACCESS_KEY ??= 'decisive-threshold';
const base = { LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: join(dir, 'r.db'), LLM_BACKEND: 'bedrock', BEDROCK_REGIONS: 'us-east-1', SEED_STORE_KB: 'true', DECISIVE_ANSWERS: 'true', DECISIVE_MIN_RELEVANCE: '0' };
// The stand-in's answers are not scored: it answers at once.
const stub = await startBedrockStub({ seed: 1, tierOf: () => 'small', dist: { ...DEFAULT_DISTRIBUTIONS, firstTokenMs: { median: 1, sigma: 0.1 }, tokensPerSecond: 100_000 } });
const region = await startRegional(loadConfig({ ...process.env, ...base, BEDROCK_ENDPOINT: stub.url }), () => {});
const decisive = region.services.decisive;
if (!decisive) throw new Error('the region built no decisive answers (answers.json missing?)');
let last: number | null = null;
const relevance = decisive.relevance.bind(decisive);
decisive.relevance = (logit, reranker) => (last = relevance(logit, reranker));

const rows: { id: string; relevance: number; pass: boolean; answer: string }[] = [];
try {
  for (const q of questions) {
    last = null;
    const res = await fetch(`${region.url}/v1/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${region.services.config.EDGE_API_KEY}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: q.question, sessionId: `decisive-${q.id}`, ...(q.turns?.length ? { history: q.turns } : {}) }),
    });
    const body = (await res.json()) as { text?: string; route?: { generator?: string }; done?: { sources?: { id: string }[] } };
    if (body.route?.generator !== 'extractive' || last === null) continue;
    const sources = (body.done?.sources ?? []).map((s) => s.id);
    const s = scoreQuestion({ question: q, answer: body.text ?? '', passages: sources.map((id) => docs.get(id) ?? ''), sources, latencyMs: 0 }, markers, knownPrices);
    rows.push({ id: q.id, relevance: last, pass: s.pass, answer: s.answer.slice(0, 160) });
  }
} finally {
  await region.close();
}
// --test-split: how many of the store's held-out test questions (no facts to score) each threshold would answer with no LLM.
const split: { intent: string; relevance: number }[] = [];
if (values['test-split']) {
  const again = await startRegional(loadConfig({ ...process.env, ...base, DATABASE_URL: join(dir, 't.db'), BEDROCK_ENDPOINT: stub.url }), () => {});
  const d = again.services.decisive!;
  const rel = d.relevance.bind(d);
  d.relevance = (logit, reranker) => (last = rel(logit, reranker));
  const test = readFileSync(join(STORE_DIR, 'intents', 'test.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { text: string; label: string });
  for (const [i, t] of test.entries()) {
    last = null;
    const res = await fetch(`${again.url}/v1/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${again.services.config.EDGE_API_KEY}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: t.text, sessionId: `decisive-test-${i}` }),
    });
    const body = (await res.json()) as { route?: { generator?: string } };
    if (body.route?.generator === 'extractive' && last !== null) split.push({ intent: t.label, relevance: last });
  }
  await again.close();
}
await stub.close();
rmSync(dir, { recursive: true, force: true });
const table = THRESHOLDS.map((t) => {
  const at = rows.filter((r) => r.relevance >= t);
  return {
    threshold: t,
    decisive: at.length,
    wrong: at.filter((r) => !r.pass).length,
    wrongIds: at.filter((r) => !r.pass).map((r) => `${r.id}@${r.relevance.toFixed(3)}`),
    ...(values['test-split'] ? { testSplitDecisive: split.filter((r) => r.relevance >= t).length } : {}),
  };
});
const out = { questions: questions.length, candidates: rows.length, byThreshold: table, rows: rows.map((r) => `${r.id}@${r.relevance.toFixed(3)}:${r.pass ? 'right' : 'wrong'}`) };
console.log(values.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
