/**
 * `npm run -s eval -- answers [--json] [--generator extractive|bedrock|openai] [--url <region> --key <key>]
 *   [--domain <dir>] [--limit N] [--out <dir>] [--file set.jsonl]`: asks the region every question of the golden
 * answer set (domains/<domain>/eval/golden-answers.jsonl, or --file: another set in its format, e.g.
 * eval/golden-answers-holdout.jsonl) through `/v1/generate`, scores the
 * answers fact by fact (answer-score.ts) and writes reports/answers.html and reports/answers.json.
 *
 * Without --url it starts the region in this process on a fresh SQLite store seeded with the
 * store's knowledge base, with its real models and the chosen generator (bedrock and openai use
 * the region's usual settings from the environment, so a real account runs the same command).
 * Questions are asked one at a time (latency is per request); earlier turns go as `history`.
 * `--llm-config <dir>` serves that LLM configuration folder (registered and promoted in the
 * region's fresh registry) instead of the built-in one: the LLM-configuration gate's run.
 * The region's port is a free one unless REGION_PORT pins it (as for the dialogue evaluation).
 * Exit 0 when every question was asked, 1 when a request failed, 2 on bad usage.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../regional/src/config.ts';
import { registerModelFolder } from '../../regional/src/ops/register-folder.ts';
import { loadStoreKb } from '../../regional/src/retrieval/store-kb.ts';
import { startRegional, type RunningRegional } from '../../regional/src/server.ts';
import { STORE_DIR } from '../../regional/src/domain/store-files.ts';
import { pricesIn } from './fact-match.ts';
import { scoreQuestion, summarize, type AnsweredQuestion } from './answer-score.ts';
import { loadGoldenSet, loadMarkers, type GoldenQuestion } from './golden-answers.ts';
import { writeAnswersReport } from './answers-report.ts';

const USAGE = 'usage: npm run -s eval -- answers [--json] [--generator extractive|bedrock|openai] [--url <region url> --key <api key>] [--llm-config <dir>] [--domain <dir>] [--limit N] [--out <dir>] [--file <set.jsonl>]';

function args() {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === 'answers')),
      options: {
        json: { type: 'boolean' },
        generator: { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        domain: { type: 'string' },
        limit: { type: 'string' },
        out: { type: 'string' },
        file: { type: 'string' },
        'llm-config': { type: 'string' },
      },
    });
    const generator = values.generator ?? 'extractive';
    if (!['extractive', 'bedrock', 'openai'].includes(generator)) throw new Error(`unknown generator ${generator}`);
    const limit = values.limit ? Number(values.limit) : Infinity;
    if (!(limit > 0)) throw new Error('--limit must be a positive number');
    return { ...values, generator: generator as 'extractive' | 'bedrock' | 'openai', limit };
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** The region's answer to one golden question, over HTTP (in process or remote). */
async function ask(url: string, key: string, q: GoldenQuestion, timeoutMs = 60_000): Promise<Omit<AnsweredQuestion, 'passages'> & { sources: string[] }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/v1/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: q.question, sessionId: `golden-${q.id}-${Date.now()}`, ...(q.turns?.length ? { history: q.turns } : {}) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const latencyMs = performance.now() - t0;
    const body = (await res.json()) as { text?: string; route?: { intent?: string; confidence?: number; path?: string }; done?: { latencyMs?: Record<string, number>; sources?: { id: string }[] }; error?: { message?: string } };
    if (!res.ok) return { question: q, answer: '', latencyMs, sources: [], error: `HTTP ${res.status}: ${body.error?.message ?? ''}` };
    return {
      question: q,
      answer: body.text ?? '',
      latencyMs,
      ...(body.done?.latencyMs?.llm !== undefined ? { generatorMs: body.done.latencyMs.llm } : {}),
      ...(body.route?.intent ? { intent: `${body.route.intent}@${(body.route.confidence ?? 0).toFixed(2)}` } : {}),
      ...(body.route?.path ? { path: body.route.path } : {}),
      sources: (body.done?.sources ?? []).map((s) => s.id),
    };
  } catch (e) {
    return { question: q, answer: '', latencyMs: performance.now() - t0, sources: [], error: (e as Error).message };
  }
}

/** Registers the folder in the region's registry, promotes it and waits until it serves as the control. */
async function serveLlmConfig(region: RunningRegional, dir: string, adminKey: string): Promise<void> {
  const { record } = await registerModelFolder(region.services.store.registry, dir, { registeredBy: 'eval-answers', gitCommit: null });
  if (record.kind !== 'llm-config') throw new Error(`${dir} is a ${record.kind}, not an llm-config`);
  for (const stage of ['staging', 'production'] as const) await region.services.store.registry.setStage(record.name, record.version, stage, { actor: 'eval-answers', reason: 'scored on the golden answer set' });
  for (let i = 0; i < 200; i++) {
    const st = (await (await fetch(`${region.url}/v1/ops/rollouts/${record.name}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { control?: string };
    if (st.control === record.version) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${record.name}@${record.version} did not start serving`);
}

async function main(): Promise<void> {
  const a = args();
  const domain = resolve(a.domain ?? STORE_DIR);
  const questions = loadGoldenSet(resolve(a.file ?? join(domain, 'eval', 'golden-answers.jsonl'))).slice(0, a.limit);
  const markers = loadMarkers(join(domain, 'eval', 'answer-markers.json'));
  const docs = new Map((await loadStoreKb()).map((d) => [d.id, `${d.title}\n${d.text}`]));
  const knownPrices = new Set([...docs.values()].flatMap(pricesIn));

  let region: RunningRegional | null = null;
  let dir: string | null = null;
  let url = a.url;
  let key = a.key ?? process.env.EDGE_API_KEY ?? 'dev-edge-key';
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'sy-answers-'));
    const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env, PORT: process.env.REGION_PORT ?? '0', HOST: '127.0.0.1', DATABASE_URL: join(dir, 'answers.db'), LLM_BACKEND: a.generator, SEED_STORE_KB: 'true'});
    region = await startRegional(config, () => {});
    url = region.url;
    key = config.EDGE_API_KEY;
    if (a['llm-config']) await serveLlmConfig(region, resolve(a['llm-config']), config.ADMIN_API_KEY);
  }
  const answered: AnsweredQuestion[] = [];
  try {
    for (const q of questions) {
      const r = await ask(url, key, q);
      answered.push({ ...r, passages: r.sources.map((id) => docs.get(id) ?? '') });
    }
  } finally {
    await region?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  const scores = answered.map((x) => scoreQuestion(x, markers, knownPrices));
  const errors = answered.filter((x) => x.error).length;
  const summary = { set: relative(domain, resolve(a.file ?? join(domain, 'eval', 'golden-answers.jsonl'))), generator: a.url ? `remote ${a.url}` : a.generator, ...(a['llm-config'] ? { llmConfig: a['llm-config'] } : {}), ...summarize(scores, errors) };
  const out = resolve(a.out ?? join(import.meta.dirname, '..', '..', 'reports'));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'answers.json'), JSON.stringify({ summary, questions: scores }, null, 1));
  writeAnswersReport(join(out, 'answers.html'), summary, scores);
  if (a.json) console.log(JSON.stringify(summary));
  else console.log(JSON.stringify(summary, null, 2), `\nreport: ${join(out, 'answers.html')}`);
  if (errors) process.exitCode = 1;
}

await main();
