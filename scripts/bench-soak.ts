/**
 * `npm run -s bench:soak -- [--minutes 3] [--warmup M] [--concurrency 8] [--sample-s 5] [--seed 1]`:
 * a bounded soak (at most 10 minutes) of the real tiers: the edge in workerd via wrangler, the
 * region in its own Node process (SQLite), Bedrock replaced at the HTTP boundary by the traffic
 * replay's ConverseStream stand-in. Drives a steady mix (scripts/soak/mix.ts: chat sessions,
 * classify, embeddings, rerank), samples the resident memory of each tier's process tree, and
 * prints one JSON: requests, errors, RSS per tier and its least-squares slope in MB/min after the
 * warm-up (target: under 1 MB/min; also the slope of each minute's floor). Measures; never asserts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DOMAIN_DIR } from '../regional/src/domain/pack-files.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startEdgeProcess } from './edge-process.ts';
import { startRegionProcess } from './region-process.ts';
import { latency, mixDriver, type Kind } from './soak/mix.ts';
import { floors, slope, treeRss } from './soak/rss.ts';
import { startBedrockStub } from './traffic/bedrock-stub.ts';
import { rng } from './traffic/random.ts';
import { buildSessions, TrafficMix, type Dialogue, type Labelled, type Session } from './traffic/sessions.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    warmup: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    'sample-s': { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    /** Also print every RSS sample ([minute, MB] per tier). */
    series: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const warmup = Number(values.warmup ?? Math.max(0.5, minutes / 3));
const concurrency = Number(values.concurrency);
const sampleMs = Number(values['sample-s']) * 1000;
if (!(minutes > 0 && minutes <= 10)) throw new Error(`--minutes must be in (0, 10], got ${values.minutes}`);
if (!(warmup >= 0 && warmup < minutes)) throw new Error(`--warmup must be in [0, --minutes), got ${warmup}`);
if (!(Number.isInteger(concurrency) && concurrency >= 1 && sampleMs >= 500)) throw new Error('--concurrency must be a positive integer and --sample-s at least 0.5');
const say = (m: string) => process.stderr.write(`[bench:soak] ${m}\n`);

const domainDir = resolve(process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR);
const jsonl = <T>(file: string): T[] => readFileSync(join(domainDir, file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
const data = { test: jsonl<Labelled>('intents/test.jsonl'), dialogues: jsonl<Dialogue>('eval/dialogues.jsonl') };
const mix = TrafficMix.parse(JSON.parse(readFileSync(join(domainDir, 'eval/traffic-mix.json'), 'utf8')));
let batch: Session[] = [];
let round = 0;
const nextSession = () => (batch.length ? batch : (batch = buildSessions(data, mix, 500, Number(values.seed) + round++))).pop()!;

const dir = mkdtempSync(join(tmpdir(), 'sy-soak-'));
const regionEnv = {
  DATABASE_URL: join(dir, 'regional.db'),
  LLM_BACKEND: 'bedrock',
  BEDROCK_REGIONS: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench-soak',
  AWS_SECRET_ACCESS_KEY: 'bench-soak',
  LOG_LEVEL: 'warn',
  DEFAULT_RATE_LIMIT_PER_MINUTE: '1000000',
};
const base = loadConfig(regionEnv);
const stub = await startBedrockStub({ seed: Number(values.seed), tierOf: (id) => (id === base.BEDROCK_MODEL_LARGE ? 'large' : 'small') });
const region = await startRegionProcess({ ...regionEnv, BEDROCK_ENDPOINT: stub.url });
// Whatever happens from here on, the children go with this process.
let stopEdge = async () => {};
const stopAll = async () => {
  await stopEdge();
  await region.stop();
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
const edge = await startEdgeProcess({ port: 27000 + Math.floor(Math.random() * 2000), regionalUrl: region.url, persistTo: join(dir, 'wrangler'), vars: { MODEL_REFRESH_INTERVAL_MS: '0' }, quiet: true }).catch(async (e) => {
  await stopAll();
  throw e;
});
stopEdge = () => edge.stop();
say(`region ${region.url} (pid ${region.child.pid}), edge ${edge.url} (wrangler pid ${edge.child.pid}); ${minutes} min, warm-up ${warmup} min, ${concurrency} at once`);

const driver = mixDriver({ edgeUrl: edge.url, regionUrl: region.url, regionKey: base.EDGE_API_KEY, sessions: nextSession, texts: data.test.map((t) => t.text), random: rng(Number(values.seed)) });
const tiers = { region: [] as { x: number; y: number }[], 'edge-workerd': [] as { x: number; y: number }[], 'edge-wrangler': [] as { x: number; y: number }[] };
const t0 = performance.now();
const sample = () => {
  const x = (performance.now() - t0) / 60_000;
  const r = treeRss(region.child.pid!);
  const e = treeRss(edge.child.pid!);
  const workerd = e.workerd ?? 0;
  tiers.region.push({ x, y: Object.values(r).reduce((a, b) => a + b, 0) });
  tiers['edge-workerd'].push({ x, y: workerd });
  tiers['edge-wrangler'].push({ x, y: Object.values(e).reduce((a, b) => a + b, 0) - workerd });
};
sample();
const sampler = setInterval(sample, sampleMs);
const load0 = loadavg();
const end = t0 + minutes * 60_000;
await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) await driver.next(); }));
clearInterval(sampler);
sample();
const load1 = loadavg();

await stopAll();

const round2 = (v: number) => Math.round(v * 100) / 100;
const perTier = Object.fromEntries(
  Object.entries(tiers).map(([name, pts]) => {
    const after = pts.filter((p) => p.x >= warmup);
    const s = slope(after);
    const floor = slope(floors(after, 1));
    return [
      name,
      {
        rssStartMb: round2(pts[0].y),
        rssAtWarmupMb: round2(after[0]?.y ?? NaN),
        rssEndMb: round2(pts.at(-1)!.y),
        rssMaxMb: round2(Math.max(...pts.map((p) => p.y))),
        slopeMbPerMin: round2(s),
        // The slope of each minute's lowest sample: robust to the garbage collector's sawtooth.
        floorSlopeMbPerMin: round2(floor),
        samplesFitted: after.length,
        under1MbPerMin: s < 1,
        ...(values.series ? { series: pts.map((p) => [round2(p.x), round2(p.y)]) } : {}),
      },
    ];
  }),
);
const t = driver.tally;
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify(
    {
      minutes,
      warmupMinutes: warmup,
      concurrency,
      loadavg: { start: load0.map(round2), end: load1.map(round2) },
      requests: { total: total(t.requests), ...t.requests },
      errors: { total: total(t.errors), ...t.errors, samples: t.samples },
      chatFallbacks: t.fallbacks,
      roundTripMs: Object.fromEntries((Object.keys(t.ms) as Kind[]).map((k) => [k, latency(t.ms[k])])),
      llmCalls: stub.calls.length,
      tiers: perTier,
      targetMet: Object.values(perTier).every((x) => x.under1MbPerMin),
    },
    null,
    2,
  ),
);
