/**
 * The edge with two regions (REGIONAL_URLS) in real workerd: two real region processes in front of
 * one self-hosted LLM (an OpenAI-compatible server in this process, the external boundary). The
 * first region is SIGKILLed while its answer streams: the edge continues on the second region with
 * the text so far, the client reads one answer marked `midstream_failover`. Then, with the first
 * region down, the edge fails over before the first event and afterwards tries the dead one last.
 * Logs the added latency at the seam next to a normal time to first text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatEvent, DoneEvent } from '../shared/api/chat.ts';
import { fetchEventStream } from '../shared/api/sse-client.ts';
import { CONTINUE_INSTRUCTION } from '../regional/src/llm/request-messages.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { startRegionProcess, type RegionProcess } from '../scripts/region-process.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

// Recommendations take the LLM path at the edge (never its cache); no price or title to ground.
const FIRST = 'We have many dark fantasy series in stock right now. ';
const REST = 'Ask us about any of them and we will help you choose.';
const ASK = ['can you recommend a dark fantasy manga like berserk?', 'which dark fantasy manga would you recommend to a berserk fan?', 'any dark fantasy manga you would recommend?', 'recommend me a dark fantasy manga please'];

/** The LLM: a whole answer, or (cut mode) the first sentence and the start of the next, then silence. */
interface Llm {
  server: Server;
  url: string;
  cut: boolean;
  asked: { messages: { role: string; content: string }[] }[];
}
async function startLlm(): Promise<Llm> {
  const llm = { cut: false, asked: [] } as unknown as Llm;
  const send = (res: ServerResponse, text: string) => res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`);
  llm.server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw);
    llm.asked.push(body);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const continuing = body.messages.at(-1)?.content === CONTINUE_INSTRUCTION;
    if (llm.cut && !continuing) {
      send(res, FIRST);
      send(res, 'It co'); // the guard sends the first sentence once the next one begins
      return; // and then nothing, until the region that asked is killed
    }
    // Told to continue, it repeats the last words before going on (removed at the seam).
    if (continuing) send(res, 'in stock right now. ');
    else send(res, FIRST);
    send(res, REST);
    res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 80, completion_tokens: 20 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => llm.server.listen(0, '127.0.0.1', r));
  llm.url = `http://127.0.0.1:${(llm.server.address() as AddressInfo).port}`;
  return llm;
}

async function chat(edge: EdgeProcess, message: string, onEvent: (e: ChatEvent, ms: number) => Promise<void> | void = () => {}) {
  const t0 = performance.now();
  const events: { e: ChatEvent; ms: number }[] = [];
  for await (const e of fetchEventStream({ url: `${edge.url}/v1/chat`, body: { message, sessionId: `s-${Math.random()}` }, firstEventMs: 60_000, idleMs: 60_000 })) {
    const ms = performance.now() - t0;
    events.push({ e, ms });
    await onEvent(e, ms);
  }
  const deltas = events.filter((x) => x.e.event === 'delta');
  return {
    text: deltas.map((x) => (x.e.data as { text: string }).text).join(''),
    deltas,
    errors: events.filter((x) => x.e.event === 'error').map((x) => x.e.data),
    done: events.find((x) => x.e.event === 'done')?.e.data as DoneEvent,
  };
}

describe('edge failover across regions', () => {
  let dir: string;
  let llm: Llm;
  let a: RegionProcess;
  let b: RegionProcess;
  let edge: EdgeProcess;
  setupOrFail(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-edge-failover-'));
    llm = await startLlm();
    const env = (name: string) => ({ DATABASE_URL: join(dir, `${name}.db`), LLM_BACKEND: 'openai', OPENAI_BASE_URL: llm.url, LLM_FIRST_TOKEN_TIMEOUT_MS: '10000', CLASSIFY_TIMEOUT_MS: '5000' });
    [a, b] = await Promise.all([startRegionProcess(env('a'), { cwd: dir }), startRegionProcess(env('b'), { cwd: dir })]);
    edge = await startEdgeProcess({
      port: 21000 + Math.floor(Math.random() * 2000),
      regionalUrl: a.url,
      persistTo: join(dir, 'wrangler'),
      vars: { REGIONAL_URLS: `${a.url},${b.url}`, MODEL_REFRESH_INTERVAL_MS: '0', UPSTREAM_TIMEOUT_MS: '15000' },
      quiet: true,
    });
  }, 240_000);
  afterAll(async () => {
    await edge?.stop();
    await a?.kill();
    await b?.kill();
    llm?.server.closeAllConnections();
    llm?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('continues on the second region when the first is killed mid-answer', { timeout: 120_000 }, async () => {
    // A normal answer first (warms both regions' models; its time to first text is the peer number).
    expect((await chat(edge, ASK[0])).text).toBe(FIRST + REST);
    const normal = await chat(edge, ASK[0]); // warm
    expect(normal.text).toBe(FIRST + REST);
    const warmB = await fetch(`${b.url}/v1/generate`, { method: 'POST', headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message: ASK[0], sessionId: 'warm-b' }) });
    expect(warmB.status).toBe(200);

    llm.cut = true;
    const asked = llm.asked.length;
    let killedAt = 0;
    const res = await chat(edge, ASK[1], async (e, ms) => {
      if (e.event === 'delta' && !killedAt) {
        killedAt = ms;
        await a.kill();
      }
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(res.errors).toEqual([]);
    expect(res.text).toBe(FIRST + REST);
    expect(res.done.fallbacks).toContain('midstream_failover');
    // The second region's LLM was asked to continue the text the client already had.
    const continued = llm.asked.slice(asked).find((q) => q.messages.at(-1)?.content === CONTINUE_INSTRUCTION)!;
    expect(continued.messages.at(-2)).toEqual({ role: 'assistant', content: FIRST.trim() });
    const seamMs = res.deltas[1].ms - killedAt;
    console.log(
      `[edge failover] time to first text ${normal.deltas[0].ms.toFixed(0)} ms (a warm normal answer); added at the seam (kill → next text) ${seamMs.toFixed(0)} ms; load ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`,
    );
  });

  it('fails over before the first event while the first region is down, then tries it last', { timeout: 60_000 }, async () => {
    llm.cut = false;
    const res = await chat(edge, ASK[2]);
    expect(res.text).toBe(FIRST + REST);
    expect(res.done.fallbacks).toContain('region_unavailable');
    expect(res.done.fallbacks).not.toContain('midstream_failover');
    // marked down in the isolate: the next request goes straight to the live region
    const again = await chat(edge, ASK[3]);
    expect(again.text).toBe(FIRST + REST);
    expect(again.done.fallbacks ?? []).not.toContain('region_unavailable');
    expect(again.done.fallbacks ?? []).not.toContain('midstream_failover');
  });
});
