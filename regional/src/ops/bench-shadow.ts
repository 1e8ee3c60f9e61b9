/**
 * Shadow overhead on served latency (`npx tsx regional/src/ops/bench-shadow.ts [requests per block] [blocks] [concurrency…]`):
 * the regional service in process (real models, SQLite, the store knowledge base, the offline
 * extractive generator), a candidate classifier registered in staging (the committed classifier
 * under another version: its own session and batcher, the same work per message), and
 * /v1/generate round trips from a client in the same process, in alternating blocks with the
 * rule at `shadow: 100%` and at `shadow: 0%` (the same rule and the candidate loaded and warm
 * throughout: only the shadow runs differ), so both conditions share the machine's noise. Prints one
 * JSON line per concurrency: p50/p99 of the round trip and of the server-side time
 * (done.latencyMs.total) with shadow off and at 100%, the shadow runs the report counted and
 * the shadow classification's own p50.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentiles } from '../../../shared/eval/metrics.ts';
import { loadConfig } from '../config.ts';
import { DEFAULT_DOMAIN_DIR, domainModelDir } from '../domain/pack-files.ts';
import { packIntents } from '../domain/store-files.ts';
import { startRegional } from '../server.ts';
import { registerModelFolder } from './register-folder.ts';

const perBlock = Number(process.argv[2] ?? 100);
const blocks = Number(process.argv[3] ?? 10);
const widths = process.argv.slice(4).map(Number);
// The pack SWITCHYARD_DOMAIN names (default kitsune-books): the region serves it; its test messages and its classifier.
const packDir = process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR;
const texts = packIntents(packDir).test.map((e) => e.text);

const dir = mkdtempSync(join(tmpdir(), 'sy-bench-shadow-'));
try {
  const r = await startRegional(loadConfig({ SWITCHYARD_DOMAIN: packDir, PORT: '0', DATABASE_URL: join(dir, 'r.db'), ROLLOUT_REFRESH_MS: '600000' }), () => {});
  const candidate = join(dir, 'candidate');
  cpSync(domainModelDir(packDir, 'classifier'), candidate, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(candidate, 'manifest.json'), 'utf8'));
  writeFileSync(join(candidate, 'manifest.json'), JSON.stringify({ ...manifest, version: '1.0.1-shadow' }));
  const reg = r.services.store.registry;
  await registerModelFolder(reg, candidate, { registeredBy: 'bench', baselineData: null });
  await reg.setStage(manifest.name, '1.0.1-shadow', 'staging', { actor: 'bench' });
  const admin = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
  const rollout = `${r.url}/v1/ops/rollouts/${manifest.name}`;
  let n = 0;
  const once = async () => {
    const i = n++;
    const t0 = performance.now();
    const res = await fetch(`${r.url}/v1/generate`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: texts[i % texts.length], sessionId: `bench-${i}`, userId: `bench-user-${i % 500}` }),
    });
    const j = (await res.json()) as { done: { latencyMs: { total: number } } };
    return { client: performance.now() - t0, server: j.done.latencyMs.total };
  };
  const block = async (width: number) => {
    const ms: { client: number; server: number }[] = [];
    let left = perBlock;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (left-- > 0) ms.push(await once());
      }),
    );
    return ms;
  };
  const shadowAt = async (percent: number) => {
    const put = await fetch(rollout, { method: 'PUT', headers: admin, body: JSON.stringify({ shadow: { version: '1.0.1-shadow', percent } }) });
    if (put.status !== 200) throw new Error(`PUT rollout: ${put.status} ${await put.text()}`);
  };
  let shadowed = 0;
  for (const width of widths.length ? widths : [1, 4]) {
    await shadowAt(100);
    await block(width); // warm-up
    const off: { client: number; server: number }[] = [];
    const on: { client: number; server: number }[] = [];
    for (let b = 0; b < blocks; b++) {
      await shadowAt(0);
      off.push(...(await block(width)));
      await shadowAt(100);
      on.push(...(await block(width)));
    }
    const p = (xs: number[]) => {
      const q = percentiles(xs);
      return { p50: +q.p50.toFixed(3), p99: +q.p99.toFixed(3), n: q.n };
    };
    const a = p(off.map((x) => x.client));
    const b = p(on.map((x) => x.client));
    const sa = p(off.map((x) => x.server));
    const sb = p(on.map((x) => x.server));
    await new Promise((res) => setTimeout(res, 500));
    const report = await (await fetch(`${r.url}/v1/ops/shadow/${manifest.name}`, { headers: admin })).json();
    const runs = report.compared + report.candidateErrors - shadowed;
    shadowed += runs;
    console.log(JSON.stringify({ concurrency: width, roundTrip: { shadowOff: a, shadow100: b, deltaP50Ms: +(b.p50 - a.p50).toFixed(3), deltaP99Ms: +(b.p99 - a.p99).toFixed(3) }, serverSide: { shadowOff: sa, shadow100: sb, deltaP50Ms: +(sb.p50 - sa.p50).toFixed(3), deltaP99Ms: +(sb.p99 - sa.p99).toFixed(3) }, shadowRuns: runs, shadowClassifyP50Ms: report.latencyMs?.candidate.p50 ?? null }));
  }
  await r.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
