/**
 * `npx tsx scripts/edge-cpu/per-path.ts --records FILE [--per 40] [--rounds 3] [--concurrency 4]`: the edge's CPU per
 * message by path, as the edge runs in bench:traffic (plain `workerd serve`, state on tmpfs, the
 * real region with the Bedrock and order stand-ins). Bench only. Takes the messages a
 * `bench:traffic --records FILE` run answered, by what answered them (edge template, cache hit,
 * LLM, the region's own catalog/order/decisive answers), sends each alone (`--concurrency` at once), and
 * reads the edge's workerd CPU (schedstat, every thread) around each batch. Each message goes out
 * three ways, in turn: as the first message of a new session (the session's Durable Object is
 * made: its SQLite database, its first write), as the second message of a session opened before
 * the clock starts (one more write to a live object), and stateless (`history` turns, no session
 * touched). Each batch is timed from before its first message to 150 ms after its last (the
 * after-response work: session writes, the log line, metrics). `otherPath`: how many of a batch's
 * messages took another path alone than in the replay (counted in the batch all the same). Prints
 * ms of CPU per message for each path and way, the median over the rounds. A session object made
 * in one batch is put out of memory later, in another batch's window: the 'new session' batches'
 * figures leave out part of their own cost and the others carry some of it.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../regional/src/config.ts';
import { startRegional } from '../../regional/src/server.ts';
import { startBedrockStub } from '../traffic/bedrock-stub.ts';
import { cpuTimes } from '../traffic/cpu-wait.ts';
import { startTrafficEdge, stateDirOf } from '../traffic/edge-runner.ts';
import { startOrderStub } from '../traffic/order-stub.ts';

const { values } = parseArgs({ options: { records: { type: 'string' }, per: { type: 'string', default: '40' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '4' } } });
if (!values.records) throw new Error('--records FILE (from bench:traffic --records) is required');
const say = (m: string) => process.stderr.write(`[edge-cpu-per-path] ${m}\n`);

interface Rec {
  message: string;
  kind: string;
  path: string;
  generator?: string;
}
const classOf = (r: { path: string; generator?: string }) => (r.path === 'template' && r.generator ? `region ${r.generator}` : r.path);
const byClass = new Map<string, string[]>();
for (const line of readFileSync(values.records, 'utf8').split('\n').filter(Boolean)) {
  const r = JSON.parse(line) as Rec;
  if (r.kind === 'email_reply' || r.kind === 'id_reply') continue; // they need the turn before
  const list = byClass.get(classOf(r)) ?? [];
  if (!list.includes(r.message) && list.length < Number(values.per)) list.push(r.message);
  byClass.set(classOf(r), list);
}

const dir = mkdtempSync(join(tmpdir(), 'sy-edge-cpu-'));
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
const env = { PORT: '0', DATABASE_URL: join(dir, 'regional.db'), LLM_BACKEND: 'bedrock', BEDROCK_REGIONS: 'us-east-1', LOG_LEVEL: 'warn', DEFAULT_RATE_LIMIT_PER_MINUTE: '1000000', LLM_CONCURRENCY: '16', DECISIVE_ANSWERS: 'true' };
const base = loadConfig(env);
const stub = await startBedrockStub({ seed: 1, tierOf: (id) => (id === base.BEDROCK_MODEL_LARGE ? 'large' : 'small') });
const orders = await startOrderStub({ seed: 1, port: 0 });
const regional = await startRegional(loadConfig({ ...env, BEDROCK_ENDPOINT: stub.url, ORDER_LOOKUP_URL: `${orders.url}/v1/orders/{id}` }), () => {});
const edge = await startTrafficEdge({
  runner: 'workerd',
  ...(process.env.BENCH_PEER ? { root: process.env.BENCH_PEER } : {}),
  port: Number(process.env.EDGE_PORT) || 24000 + Math.floor(Math.random() * 4000),
  regionalUrl: regional.url,
  stateDir: stateDirOf('tmpfs'),
  // No per-client or per-session limit: this sends many messages from one client.
  vars: { MODEL_REFRESH_INTERVAL_MS: '0', CACHE_WARM_FAQ: 'true', CLIENT_RATE_LIMIT_PER_MINUTE: 'off', SESSION_RATE_LIMIT_PER_MINUTE: 'off' },
});
say(`edge up at ${edge.url} (${process.env.BENCH_PEER ?? 'this checkout'})`);

type Way = 'new session' | 'open session' | 'stateless';
let seq = 0;
async function send(message: string, way: Way, session: string): Promise<{ path: string; generator?: string } | null> {
  // A request with `history` names a session too (ChatRequest) but reads and writes none.
  const sessionId = way === 'open session' ? session : `cpu-${process.pid}-${seq++}`;
  const body = way === 'stateless' ? { message, sessionId, history: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'Hi! How can I help?' }] } : { message, sessionId };
  const res = await fetch(`${edge.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const r = (await res.json()) as { route: { path: string; generator?: string } };
  return { path: r.route.path, generator: r.route.generator };
}

const ways: Way[] = ['new session', 'open session', 'stateless'];
// One pass unmeasured: fills the cache with the LLM's answers (a cache hit's question is then a hit) and warms the isolate.
const open = `cpu-open-${process.pid}`;
await Promise.all([...byClass.values()].map(async (msgs) => { for (const m of msgs) for (const w of ways) await send(m, w, open); }));
const pid = edge.workerdPids();
const results = new Map<string, number[]>();
const mismatched = new Map<string, number>();
const settle = () => new Promise((r) => setTimeout(r, 150)); // the batch's after-response work (session writes, log, metrics) lands
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [cls, msgs] of byClass) {
    for (const way of ways) {
      // An open session holds one earlier turn, opened before the clock: each message is its second.
      const sessions = msgs.map(() => `cpu-open-${process.pid}-${seq++}`);
      if (way === 'open session') for (const s of sessions) await send('hello', way, s);
      await settle();
      const before = cpuTimes(pid)!;
      let off = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: Number(values.concurrency) }, async () => {
          while (next < msgs.length) {
            const i = next++;
            const got = await send(msgs[i], way, sessions[i]);
            if (!got || classOf(got) !== cls) off++;
          }
        }),
      );
      await settle();
      const after = cpuTimes(pid)!;
      const key = `${cls} | ${way}`;
      (results.get(key) ?? results.set(key, []).get(key)!).push((after.runNs - before.runNs) / msgs.length / 1e6);
      mismatched.set(key, (mismatched.get(key) ?? 0) + off);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = Object.fromEntries([...results].map(([k, v]) => [k, { msPerMessage: Number(median(v).toFixed(3)), rounds: v.map((x) => Number(x.toFixed(3))), messages: byClass.get(k.split(' | ')[0])!.length, otherPath: mismatched.get(k) }]));
console.log(JSON.stringify({ edge: process.env.BENCH_PEER ?? 'this checkout', load: loadavg().map((x) => Number(x.toFixed(2))), perPath: out }, null, 2));
await edge.stop();
await regional.close();
await stub.close();
await orders.close();
rmSync(dir, { recursive: true, force: true });
