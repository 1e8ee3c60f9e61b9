/**
 * The region failing while an answer streams, as the edge's client sees it: the region (its own
 * process) frozen with SIGSTOP, then killed with SIGKILL, after its first words are out. The
 * client always gets a clean, marked end (an UPSTREAM_INTERRUPTED error event, then done with the
 * region's fallback), never a hang: a frozen region stops its heartbeat and is given up on at the
 * edge's stall deadline, well before its idle deadline, while a slow region that is alive (its LLM
 * pausing longer than the stall deadline) keeps beating and is not cut. A frozen region that is
 * resumed answers again. Bedrock is a held stream at the HTTP boundary (helpers/held-bedrock.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { startRegionProcess, type RegionProcess } from '../scripts/region-process.ts';
import { chatStream } from './helpers/chat-stream.ts';
import { FIRST_WORDS, startHeldBedrock, type HeldBedrock } from './helpers/held-bedrock.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

/** The edge's idle deadline between the region's events: long, so only the stall deadline can end the frozen case early. */
const IDLE_MS = 30_000;
/** The edge's stall deadline (the region beats every second). */
const STALL_MS = 3000;
const LLM_MESSAGE = 'can you recommend a dark fantasy manga like berserk?';

let dir: string;
let bedrock: HeldBedrock;
let region: RegionProcess;
let edge: EdgeProcess;
let session = 0;

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-midstream-'));
  bedrock = await startHeldBedrock();
  region = await startRegionProcess({
    DATABASE_URL: join(dir, 'r.db'),
    LLM_BACKEND: 'bedrock',
    BEDROCK_REGIONS: 'us-east-1',
    BEDROCK_ENDPOINT: bedrock.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Only the faults end these answers, never the region's own LLM deadlines.
    LLM_FIRST_TOKEN_TIMEOUT_MS: '30000',
    LLM_TOTAL_TIMEOUT_MS: '300000',
    CLASSIFY_TIMEOUT_MS: '5000',
  });
  // One after the other: both warm their models at start, and a loaded machine must not push the edge past its start-up deadline.
  edge = await startEdgeProcess({
    port: 21000 + Math.floor(Math.random() * 2000),
    regionalUrl: region.url,
    persistTo: join(dir, 'wrangler'),
    vars: { MODEL_REFRESH_INTERVAL_MS: '0', UPSTREAM_TIMEOUT_MS: '15000', UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_MS), UPSTREAM_STALL_TIMEOUT_MS: String(STALL_MS) },
    quiet: true,
  });
}, 300_000);
afterAll(async () => {
  await edge?.stop();
  await region?.stop(); // SIGCONT first: a frozen region can exit
  await bedrock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A chat whose answer has started: the route event and the first words have reached the client. */
async function midAnswer() {
  const s = await chatStream(edge.url, LLM_MESSAGE, `midstream-${++session}`);
  expect(s.status).toBe(200);
  const soFar = await s.until((e) => e.event === 'delta');
  expect(soFar[0]).toMatchObject({ event: 'route', data: { path: 'llm', generator: expect.stringMatching(/^bedrock/) } });
  return s;
}

describe('the region fails mid-stream', () => {
  it('slow but alive (its LLM pauses past the stall deadline): the answer is not cut', async () => {
    const s = await midAnswer();
    await new Promise((r) => setTimeout(r, 2.5 * STALL_MS)); // the region beats while its LLM holds
    bedrock.release();
    try {
      const r = await s.end();
      expect(r.error).toBeUndefined();
      expect(r.text).toContain('Enjoy your reading');
      expect(r.done?.fallbacks ?? []).not.toContain('region_timeout');
    } finally {
      bedrock.hold();
    }
  }, 120_000);

  it('frozen (SIGSTOP): the answer ends marked on the stall deadline, and the region answers again once resumed', async () => {
    const s = await midAnswer();
    region.child.kill('SIGSTOP');
    const t0 = Date.now();
    try {
      const r = await s.end();
      const waited = Date.now() - t0;
      expect(r.text).toContain(FIRST_WORDS.trim().split('.')[0]);
      expect(r.error?.code).toBe('UPSTREAM_INTERRUPTED');
      expect(r.events.at(-1)?.event).toBe('done');
      expect(r.done?.fallbacks).toContain('region_timeout');
      // Ended by the stall deadline (region_timeout above), long before the idle deadline (the margin is for a loaded machine).
      expect(waited).toBeGreaterThanOrEqual(STALL_MS - 1500); // its last heartbeat went out up to a second before the freeze
      expect(waited).toBeLessThan(IDLE_MS);
    } finally {
      region.child.kill('SIGCONT');
    }
    bedrock.release();
    const again = await chatStream(edge.url, LLM_MESSAGE, `midstream-${++session}`);
    const r = await again.end();
    expect(r.error).toBeUndefined();
    expect(r.route).toMatchObject({ path: 'llm', generator: expect.stringMatching(/^bedrock/) });
    expect(r.done?.fallbacks ?? []).not.toContain('region_timeout');
    bedrock.hold();
  }, 120_000);

  it('killed (SIGKILL): the answer ends marked at once, not on a deadline', async () => {
    const s = await midAnswer();
    const t0 = Date.now();
    region.child.kill('SIGKILL');
    const r = await s.end();
    expect(r.text).toContain(FIRST_WORDS.trim().split('.')[0]);
    expect(r.error?.code).toBe('UPSTREAM_INTERRUPTED');
    expect(r.events.at(-1)?.event).toBe('done');
    // A broken connection, told apart from a silent one: the fallback is not the idle deadline's.
    expect(r.done?.fallbacks?.some((f) => f.startsWith('region_'))).toBe(true);
    expect(r.done?.fallbacks).not.toContain('region_timeout');
    expect(Date.now() - t0).toBeLessThan(IDLE_MS + 30_000);
    // Nothing answers there now: the next chat is a marked handoff, not an error.
    const next = await (await chatStream(edge.url, LLM_MESSAGE, `midstream-${++session}`)).end();
    expect(next.route?.path).toBe('fallback');
    expect(next.done?.fallbacks).toContain('region_unavailable');
  }, 120_000);
});
