/**
 * Property-based bodies (fast-check) for the edge Worker's POST routes in real workerd, in front
 * of the real region: no 5xx, no leaked stack or path, a known error code, bounded time. Each
 * request comes from its own client address, so the per-client limits do not stop the fuzzing
 * at the first minute's budget. `npm run bench:fuzz` (FUZZ_PER_TIER=2000) runs the bench-sized count (BENCHMARKS.md).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { bodyLike, checkAnswer, FUZZ_PER_TIER, FuzzTally, rawBody, runsPerRoute } from './helpers/hostile-bodies.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

const MAX_MS = 15_000;
const text = (max = 200) => fc.string({ minLength: 1, maxLength: max });

/** The edge's POST routes (the chat widget's and the classifier's) with their field names. */
const SHAPES: Record<string, fc.Arbitrary<unknown>> = {
  '/v1/chat': bodyLike({
    message: text(),
    sessionId: text(40),
    userId: text(40),
    locale: fc.constantFrom('en', 'ja', 'x'),
    history: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'tool'), content: text() }), { maxLength: 4 }),
  }),
  '/v1/classify': bodyLike({ texts: fc.array(text(), { maxLength: 70 }) }),
};

const RUNS = runsPerRoute(Object.keys(SHAPES).length);

let dir: string;
let regional: RunningRegional;
let edge: EdgeProcess;
let client = 0;
const seen = new FuzzTally();

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-fuzz-edge-'));
  regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), CLASSIFY_TIMEOUT_MS: '5000' }), () => {});
  edge = await startEdgeProcess({ port: 26000 + 2 * Math.floor(Math.random() * 1500), regionalUrl: regional.url, persistTo: join(dir, 'w'), vars: { MODEL_REFRESH_INTERVAL_MS: '0' }, quiet: true });
}, 240_000);
afterAll(async () => {
  if (FUZZ_PER_TIER) console.log(seen.summary('edge'));
  await edge?.stop();
  await regional?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzzed POST bodies at the edge', () => {
  for (const [path, shape] of Object.entries(SHAPES)) {
    it(`POST ${path}: never a 5xx, a leak or a hang`, async () => {
      await fc.assert(
        fc.asyncProperty(rawBody(shape), fc.boolean(), async (raw, json) => {
          client++;
          const t0 = performance.now();
          const res = await fetch(edge.url + path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: json ? 'application/json' : 'text/event-stream', 'cf-connecting-ip': `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}` },
            body: raw,
            signal: AbortSignal.timeout(MAX_MS + 5000),
          });
          const body = await res.text();
          const ms = performance.now() - t0;
          checkAnswer(seen, res.status, body, ms, MAX_MS, `POST ${path} with ${raw.slice(0, 300)}`);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }, 60_000 + RUNS * 2_000);
  }
});
