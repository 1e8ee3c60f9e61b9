/**
 * The admin and chat calls rollout tests make against a running region, for one model under a
 * rule: set rules, read the status, send /v1/generate turns, drive canary traffic until the
 * monitor rolls it back and check what the registry recorded then.
 */
import { expect } from 'vitest';
import type { RunningRegional } from '../../regional/src/server.ts';

export const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
export const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };

export const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export async function until<T>(f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** fn over items, `width` at a time, results in order. */
export async function inParallel<T, R>(width: number, items: T[], fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export interface GenerateReply {
  route: { intent: string; confidence: number; modelVersion: string; rerankerVersion?: string; path: string; fallbacks: string[] };
  text: string;
  done: { sources?: { id: string; title?: string }[]; fallbacks?: string[] };
}

/**
 * Calls for `model` on the region `region()` returns (started in a beforeAll); `servedBy` reads which of its versions served a reply (e.g. the route
 * event's modelVersion for the classifier), as name@version.
 */
export function rolloutClient(region: () => RunningRegional, model: string, texts: string[], servedBy: (j: GenerateReply) => string) {
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) =>
    fetch(region().url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const put = (rule: unknown, name = model) => api('PUT', `/v1/ops/rollouts/${name}`, rule);
  const status = async (name = model) => (await api('GET', `/v1/ops/rollouts/${name}/status`)).json();
  const generate = async (message: string, unit: { userId?: string; sessionId: string }): Promise<GenerateReply> => {
    const res = await fetch(`${region().url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ message, ...unit }) });
    expect(res.status).toBe(200);
    return res.json();
  };
  const servedVersion = async (userId: string, i = 0) => servedBy(await generate(texts[i % texts.length], { userId, sessionId: `${userId}-s${i}` }));

  /** Canary traffic from new users until the monitor rolls it back; returns the status then. */
  async function driveUntilRolledBack(prefix: string, message: (u: number) => string) {
    for (let u = 0; u < 600; u++) {
      await generate(message(u), { userId: `${prefix}-${u}`, sessionId: `${prefix}-${u}` });
      if (u % 10 === 9) {
        const st = await status();
        if (st.canary.rolledBack) return st;
      }
    }
    throw new Error('the canary was never rolled back');
  }

  /** The registry recorded the rollback of `version` for `code`, and all traffic is on `control` afterwards. */
  async function expectRolledBack(version: string, code: string, prefix: string, control: string) {
    const reg = region().services.store.registry;
    // The registry: the candidate is back in dev, the rollback recorded with who and why.
    const changes = await reg.listStageChanges(model, { version });
    expect(changes.at(-1)).toMatchObject({ fromStage: 'staging', toStage: 'dev', action: 'rollback', actor: expect.stringMatching(/^canary-monitor@/) });
    expect(changes.at(-1)!.details).toMatchObject({ kind: 'canary_rollback', version, codes: expect.arrayContaining([code]) });
    const rule = await reg.getRollout(model);
    expect(rule).toMatchObject({ actor: expect.stringMatching(/^canary-monitor@/), rule: { canary: { version, percent: 0 }, rolledBack: { version, reasons: expect.arrayContaining([code]) } } });
    expect(rule!.details).toMatchObject({ codes: expect.arrayContaining([code]) });
    for (let u = 0; u < 30; u++) expect(await servedVersion(`${prefix}-after-${u}`, u)).toBe(`${model}@${control}`);
    const metrics = await (await fetch(`${region().url}/metrics`)).text();
    expect(metrics.split('\n').filter((l) => l.startsWith(`switchyard_rollout_rollbacks_total{model="${model}"`))).toContain(`switchyard_rollout_rollbacks_total{model="${model}",reason="${code}"} 1`);
  }

  return { api, put, status, generate, servedVersion, driveUntilRolledBack, expectRolledBack };
}
