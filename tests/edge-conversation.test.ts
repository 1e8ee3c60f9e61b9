/**
 * Conversations at the edge, in real workerd (wrangler dev) with the session Durable Object, in
 * front of the real regional service: follow-ups resolved against the session (volume, pronoun,
 * destination), the cache trap (a follow-up's answer never reaches another session's different
 * context), unresolved follow-ups kept out of the cache, concurrent requests on one session,
 * idle expiry, a stateless client's `history`, turns answered on the device, an unsure intent
 * settled by context ("what would that set me back?" after a shipping question; "ok thx"), and a second edge
 * whose session store is unreachable (single-turn answers marked `session_unavailable`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HISTORY_TURNS, MAX_MESSAGE_CHARS, type ChatReply } from '../shared/api/chat.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';

let dir: string;
let regional: RunningRegional;
let recorder: { url: string; bodies: Record<string, unknown>[]; server: Server };
let edge: EdgeProcess;
let broken: EdgeProcess;
let brokenConfig: string;
const TTL_MS = 6000;

/** Forwards to the region and keeps every /v1/generate body, to see what the edge sent. */
async function startRecorder(target: string) {
  const bodies: Record<string, unknown>[] = [];
  const t = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url?.startsWith('/v1/generate')) bodies.push(JSON.parse(body.toString()));
      const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, bodies, server };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-conv-'));
  regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'regional.db') }), () => {});
  recorder = await startRecorder(regional.url);
  const vars = { MODEL_REFRESH_INTERVAL_MS: '0', SESSION_TTL_MS: String(TTL_MS) };
  // The same Worker, but its SESSIONS binding points at a Worker that is not running: every
  // session call fails the way an unreachable store does.
  brokenConfig = join(process.cwd(), `.wrangler-sessions-unreachable-${process.pid}.toml`);
  writeFileSync(
    brokenConfig,
    readFileSync('wrangler.toml', 'utf8')
      .replace(/class_name = "SessionStore"\n/, 'class_name = "SessionStore"\nscript_name = "switchyard-sessions-unreachable"\n')
      .replace(/\[\[migrations\]\][^[]*/, ''),
  );
  [edge, broken] = await Promise.all([
    startEdgeProcess({ port: 20000 + Math.floor(Math.random() * 2000), regionalUrl: recorder.url, persistTo: join(dir, 'wrangler'), vars, quiet: true }),
    startEdgeProcess({ port: 22000 + Math.floor(Math.random() * 2000), regionalUrl: recorder.url, persistTo: join(dir, 'wrangler-broken'), vars, quiet: true, config: brokenConfig }),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all([edge?.stop(), broken?.stop()]);
  await new Promise((r) => recorder?.server.close(r));
  await regional?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(brokenConfig, { force: true });
});

let sessions = 0;
const newSession = () => `conv-${process.pid}-${++sessions}-${Math.random().toString(36).slice(2, 8)}`;

async function chat(sessionId: string, message: string, extra: Record<string, unknown> = {}, base = edge.url): Promise<ChatReply> {
  const res = await fetch(`${base}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message, sessionId, ...extra }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function turnsOf(sessionId: string): Promise<{ text: string; resolved: string; path: string; answer: string; entities: { kind: string; value: string }[] }[]> {
  const res = await fetch(`${edge.url}/v1/sessions/${sessionId}/turns`);
  expect(res.status).toBe(200);
  return (await res.json()).turns;
}

const entities = (r: ChatReply) => Object.fromEntries((r.route.resolved?.entities ?? []).map((e) => [e.kind, e.value]));

describe('conversations at the edge', () => {
  it('switches the volume of the series in context and sends the resolution to the region', async () => {
    const s = newSession();
    const first = await chat(s, 'How much is Berserk Deluxe Edition volume 1?');
    expect(first.route.resolved).toMatchObject({ carried: [], confidence: 1 });
    const next = await chat(s, 'and volume 2?');
    expect(next.route.resolved?.text).toBe('how much is berserk deluxe edition volume 2?');
    expect(entities(next)).toEqual({ product: 'berserk', edition: 'deluxe edition', volume: '2' });
    expect(next.route.resolved?.carried).toEqual(expect.arrayContaining(['frame', 'product:berserk']));
    expect(next.route.intent).toBe(first.route.intent);
    const sent = recorder.bodies.find((b) => b.sessionId === s && b.message === 'and volume 2?') as { resolved: { text: string } } | undefined;
    expect(sent?.resolved.text).toBe('how much is berserk deluxe edition volume 2?');

    const stock = await chat(s, 'is it in stock?');
    expect(stock.route.resolved?.text).toBe('is berserk deluxe edition volume 2 in stock?');
    expect(entities(stock)).toMatchObject({ product: 'berserk', volume: '2' });
  });

  it('switches the destination, and keeps a fresh topic apart from the context', async () => {
    const s = newSession();
    const ship = await chat(s, 'Do you ship to Canada?');
    const uk = await chat(s, 'what about the UK?');
    expect(entities(uk)).toEqual({ place: 'united kingdom' });
    expect(uk.route.intent).toBe(ship.route.intent);
    const there = await chat(s, 'do you ship there by express?');
    expect(there.route.resolved?.text).toMatch(/ship to united kingdom by express/);
    const policy = await chat(s, "what's your return policy?");
    expect(policy.route).toMatchObject({ path: 'template', intent: 'return_policy' });
    expect(policy.route.resolved).toMatchObject({ text: "what's your return policy?", carried: [] });
    const thanks = await chat(s, 'thanks!');
    expect(thanks.route.resolved?.carried).toEqual([]);
  });

  it("settles an unsure intent by context: a fragment asked after a question takes that turn's intent, a bare 'ok thx' is the courtesy template", async () => {
    const s = newSession();
    const ship = await chat(s, 'Do you ship to Japan?');
    expect(ship.route.intent).toBe('shipping_info');
    // "what would that set me back — do you ship to japan?" alone reads as a recommendation
    const cost = await chat(s, 'what would that set me back?');
    expect(cost.route.resolved?.carried).toEqual(expect.arrayContaining(['place:japan', 'intent:shipping_info']));
    expect(cost.route).toMatchObject({ intent: 'shipping_info', path: 'llm' });
    expect(cost.text).toMatch(/Japan/);
    const sent = recorder.bodies.find((b) => b.sessionId === s && b.message === 'what would that set me back?') as { intent: string } | undefined;
    expect(sent?.intent).toBe('shipping_info');
    const thanks = await chat(s, 'ok thx');
    expect(thanks.route).toMatchObject({ intent: 'greeting_chitchat', path: 'template' });
    expect(thanks.route.resolved?.carried).toEqual([]);
    expect(thanks.text).toMatch(/welcome/i);
  });

  it('never serves one session the answer to another context’s follow-up (the cache trap)', async () => {
    // "how long does it take?" after Canada is cached under its resolution (Canada), in one session…
    let canada: ChatReply | null = null;
    for (let i = 0; i < 20 && canada?.route.path !== 'cache'; i++) {
      const s = newSession();
      await chat(s, 'Do you ship to Canada?');
      canada = await chat(s, 'how long does it take?');
      expect(entities(canada)).toEqual({ place: 'canada' });
      if (canada.route.path !== 'cache') await new Promise((r) => setTimeout(r, 250));
    }
    expect(canada?.route.path).toBe('cache');
    // …and the same words after Japan, in another session, are not served that answer.
    const j = newSession();
    await chat(j, 'Do you ship to Japan?');
    const japan = await chat(j, 'how long does it take?');
    expect(entities(japan)).toEqual({ place: 'japan' });
    expect(japan.route.path).not.toBe('cache');
    expect(japan.route.cache).toBeUndefined();
  });

  it('keeps a follow-up with nothing to lean on out of the cache, reading and writing', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await chat(newSession(), 'how long does it take?');
      expect(r.route.resolved?.confidence).toBeLessThan(0.75);
      expect(r.route.path).not.toBe('cache');
      await new Promise((res) => setTimeout(res, 200));
    }
    const sent = recorder.bodies.filter((b) => b.message === 'how long does it take?' && (b.resolved as { confidence: number }).confidence < 0.75);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((b) => b.cacheable === false)).toBe(true);
  });

  it('stores redacted turns with their final path and answer digest', async () => {
    const s = newSession();
    await chat(s, 'my email is jo@example.com, can I return an opened box set?');
    await new Promise((r) => setTimeout(r, 300));
    const [t] = await turnsOf(s);
    expect(t.text).toBe('my email is [email], can I return an opened box set?');
    expect(['template', 'llm']).toContain(t.path);
    expect(t.answer.length).toBeGreaterThan(10);
    expect(t.answer.length).toBeLessThanOrEqual(200);
  });

  it('keeps every turn of concurrent requests on one session, and the last 8 only', async () => {
    const s = newSession();
    const vols = [3, 4, 5, 6, 7, 8];
    const replies = await Promise.all(vols.map((v) => chat(s, `is Chainsaw Man vol ${v} in stock?`)));
    expect(replies.every((r) => r.text.length > 0)).toBe(true);
    let turns = await turnsOf(s);
    for (let i = 0; i < 20 && turns.some((t) => t.path === 'pending'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      turns = await turnsOf(s);
    }
    expect(turns.map((t) => t.text).sort()).toEqual(vols.map((v) => `is Chainsaw Man vol ${v} in stock?`).sort());
    expect(turns.every((t) => t.path !== 'pending' && t.answer.length > 0)).toBe(true);
    for (let i = 0; i < 4; i++) await chat(s, 'thanks!');
    expect((await turnsOf(s)).length).toBe(8);
  });

  it('sees the previous message even when the next one is sent before its answer is complete', async () => {
    const s = newSession();
    const first = chat(s, 'can you recommend something like Vinland Saga?');
    await new Promise((r) => setTimeout(r, 30));
    const second = await chat(s, 'is the first one in stock?');
    await first;
    expect(entities(second)).toMatchObject({ product: 'vinland saga', volume: '1' });
  });

  it('sees a standalone turn answered at the edge when the follow-up comes right after it', async () => {
    // Standalone turns answered at the edge are recorded after the answer; the record must be on
    // its way before the client can send its next message.
    const runs = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const s = newSession();
        const first = await chat(s, 'do you ship to canada?');
        const next = await chat(s, 'what about the UK?');
        return { path: first.route.path, next: entities(next) };
      }),
    );
    expect(runs.map((r) => r.next)).toEqual(runs.map(() => ({ place: 'united kingdom' })));
    expect(runs.some((r) => r.path === 'cache' || r.path === 'template')).toBe(true);
  });

  it('sees a follow-up answered at the edge when the next follow-up comes right after it', async () => {
    // A follow-up answered at the edge writes its turn once, after the answer; the session's object
    // holds it as pending from its read on, so the next message waits there for that write.
    const runs = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const s = newSession();
        await chat(s, 'do you ship to canada?');
        const uk = await chat(s, 'what about the UK?');
        const there = await chat(s, 'do you ship there by express?');
        return { path: uk.route.path, there: there.route.resolved?.text ?? '' };
      }),
    );
    for (const r of runs) expect(r.there).toMatch(/united kingdom/);
    expect(runs.some((r) => r.path === 'cache' || r.path === 'template')).toBe(true);
  });

  it('forgets a session after SESSION_TTL_MS idle, and starts an unknown one fresh', async () => {
    const s = newSession();
    await chat(s, 'Is Dandadan vol 15 in stock?');
    const soon = await chat(s, 'and vol 20?');
    expect(entities(soon)).toMatchObject({ product: 'dandadan', volume: '20' });
    await new Promise((r) => setTimeout(r, TTL_MS + 500));
    const late = await chat(s, 'and vol 2?');
    expect(late.route.resolved?.confidence).toBeLessThan(0.75);
    expect(entities(late)).toEqual({ volume: '2' });
    expect((await turnsOf(newSession())).length).toBe(0);
  }, 20_000);

  it('resolves against a stateless client’s history and leaves the session store alone', async () => {
    const s = newSession();
    const r = await chat(s, 'how much is it?', {
      history: [
        { role: 'user', content: 'Do you have Witch Hat Atelier volume 12?' },
        { role: 'assistant', content: 'Yes, it is in stock.' },
      ],
    });
    expect(entities(r)).toEqual({ product: 'witch hat atelier', volume: '12' });
    expect(r.route.fallbacks).not.toContain('session_unavailable');
    expect(await turnsOf(s)).toEqual([]);
    const bad = await fetch(`${edge.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi', sessionId: s, history: [{ role: 'system', content: 'x' }] }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('INVALID_REQUEST');
    // too many turns, an empty one, an over-long one: refused with the field named, never stored
    const turn = { role: 'user', content: 'Do you ship to Canada?' };
    for (const history of [Array(MAX_HISTORY_TURNS + 1).fill(turn), [{ role: 'user', content: ' ' }], [{ role: 'user', content: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }]]) {
      const res = await fetch(`${edge.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'how long does it take?', sessionId: s, history }) });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/INVALID_REQUEST.*history/);
    }
    expect(await turnsOf(s)).toEqual([]);
  });

  it('takes turns the widget answered on the device into the session', async () => {
    const s = newSession();
    const post = (body: unknown) => fetch(`${edge.url}/v1/sessions/${s}/turns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ message: 'Do you ship to Australia?', answer: 'Yes, we ship to Australia in 7-12 business days.', intent: 'shipping_info', path: 'cache' });
    expect(ok.status).toBe(202);
    expect((await ok.json()).resolved.entities).toEqual([{ kind: 'place', value: 'australia' }]);
    const follow = await chat(s, 'and to Germany?');
    expect(follow.route.resolved?.text).toMatch(/ship to germany/);
    expect(follow.route.intent).toBe('shipping_info');
    const [device] = await turnsOf(s);
    expect(device).toMatchObject({ path: 'cache', answer: 'Yes, we ship to Australia in 7-12 business days.' });
    expect((await post({ message: 'hi', answer: 'hello', intent: 'not_an_intent', path: 'template' })).status).toBe(400);
    expect((await post({ message: 'hi', answer: 'hello', intent: 'greeting_chitchat', path: 'llm' })).status).toBe(400);
    expect((await post({ message: '', answer: 'x', intent: 'greeting_chitchat', path: 'template' })).status).toBe(400);
  });

  it('answers single-turn and marks session_unavailable when the session store is unreachable', async () => {
    const s = newSession();
    // A standalone message needs no context: answered as ever (its turn is lost, and counted).
    const first = await chat(s, 'How much is Berserk Deluxe Edition volume 1?', {}, broken.url);
    expect(first.route.fallbacks).not.toContain('session_unavailable');
    expect(first.text.length).toBeGreaterThan(0);
    // A follow-up needs the session: answered single-turn, marked, and kept out of the cache.
    for (const msg of ['and volume 2?', 'is it in stock?', 'do you ship there?']) {
      const follow = await chat(s, msg, {}, broken.url);
      expect(follow.route.fallbacks).toContain('session_unavailable');
      expect(follow.route.resolved?.confidence).toBeLessThan(0.75);
      expect(follow.route.path).not.toBe('cache');
      expect(follow.text.length).toBeGreaterThan(0);
    }
    const hi = await chat(s, 'hello!', {}, broken.url);
    expect(hi.route).toMatchObject({ path: 'template', fallbacks: [] });
    // Leaning on context ("there") but answered by a template on its own: the session is not opened.
    const person = await chat(s, 'can someone who works there message me back today', {}, broken.url);
    expect(person.route).toMatchObject({ path: 'template', intent: 'human_agent', fallbacks: [] });
    // Courtesy prefacing a follow-up is decided in context: the session is needed (and here, missing).
    const fine = await chat(s, 'fine. do you deliver there?', {}, broken.url);
    expect(fine.route.fallbacks).toContain('session_unavailable');
    const metrics = await (await fetch(`${broken.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_edge_fallbacks_total\{kind="session_unavailable"\} 4\n/);
    expect(metrics).toMatch(/switchyard_edge_session_errors_total\{op="open"\} 4\n/);
    // The three turns answered without the session (one from the region, two templates) could not be recorded.
    await expect.poll(async () => (await (await fetch(`${broken.url}/metrics`)).text()).match(/switchyard_edge_session_errors_total\{op="record"\} (\d+)/)?.[1]).toBe('3');
  });
});
