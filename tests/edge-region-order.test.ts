/**
 * The edge's region selection and continuation policy (edge/src/chat/region-failover.ts) on its
 * own, with scripted region streams: which failures move to the next region, what the next one is
 * sent, which events reach the client, and how a region that was down is ordered afterwards.
 * (The same policy against real region processes in workerd: edge-region-failover.test.ts.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatEvent, GenerateRequest } from '../shared/api/chat.ts';
import { regionOrder, regionUrls, resetRegionHealth, streamAcrossRegions, type RegionAttempt } from '../edge/src/chat/region-failover.ts';
import { UpstreamError } from '../edge/src/chat/upstream.ts';

const REQ: GenerateRequest = { message: 'recommend a manga', sessionId: 's' };
const route = (fallbacks: string[] = []): ChatEvent => ({ event: 'route', data: { intent: 'recommendation', confidence: 0.9, path: 'llm', modelVersion: 'edge', traceId: 't', fallbacks } });
const delta = (text: string): ChatEvent => ({ event: 'delta', data: { text } });
const done = (fallbacks: string[] = []): ChatEvent => ({ event: 'done', data: { latencyMs: { classify: 0, cache: 0, upstream: 0, total: 0 }, fallbacks } });

/** Regions by URL: the events each sends, then (optionally) the failure it ends with. */
function regions(script: Record<string, { events: ChatEvent[]; fail?: UpstreamError }>) {
  const asked: { url: string; req: GenerateRequest }[] = [];
  const attempt: RegionAttempt = async function* (req, url) {
    asked.push({ url, req });
    const s = script[url];
    for (const e of s.events) yield e;
    if (s.fail) throw new UpstreamError(s.fail.message, s.fail.fallback, s.fail.midStream, s.fail.status);
  };
  return { asked, attempt };
}

async function run(urls: string[], attempt: RegionAttempt) {
  const out: ChatEvent[] = [];
  let error: unknown;
  try {
    for await (const e of streamAcrossRegions(REQ, urls, attempt)) out.push(e);
  } catch (e) {
    error = e;
  }
  const text = out.flatMap((e) => (e.event === 'delta' ? [e.data.text] : [])).join('');
  return { out, text, error, done: out.find((e) => e.event === 'done')?.data as { fallbacks?: string[] } | undefined };
}

beforeEach(() => resetRegionHealth());

describe('edge region failover', () => {
  it('reads REGIONAL_URLS, else the single REGIONAL_URL', () => {
    expect(regionUrls({ REGIONAL_URL: 'http://a', REGIONAL_URLS: ' http://b , http://c,' })).toEqual(['http://b', 'http://c']);
    expect(regionUrls({ REGIONAL_URL: 'http://a', REGIONAL_URLS: '' })).toEqual(['http://a']);
    expect(regionUrls({ REGIONAL_URL: 'http://a' })).toEqual(['http://a']);
  });

  it('continues a region cut mid-answer on the next, sending the text so far, and passes on one route event', async () => {
    const { asked, attempt } = regions({
      a: { events: [route(), delta('We have many '), delta('series. ')], fail: new UpstreamError('cut', 'region_error', true) },
      b: { events: [route(['llm_timeout']), delta('Ask us.'), done(['midstream_failover'])] },
    });
    const r = await run(['a', 'b'], attempt);
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('We have many series. Ask us.');
    expect(r.out.filter((e) => e.event === 'route')).toHaveLength(1);
    expect(asked[1]).toEqual({ url: 'b', req: { ...REQ, continuation: { text: 'We have many series. ' } } });
    expect(r.done!.fallbacks).toEqual(['midstream_failover', 'region_error']);
    // a mid-answer failure is not a region that is down: its order stays
    expect(regionOrder(['a', 'b'])).toEqual(['a', 'b']);
  });

  it("continues when a region's own generator gave up mid-answer (error event), but passes the last region's error on", async () => {
    const { asked, attempt } = regions({
      a: { events: [route(), delta('Half. '), { event: 'error', data: { code: 'LLM_INTERRUPTED', message: 'x' } }, done()] },
      b: { events: [route(), delta('Whole.'), { event: 'error', data: { code: 'LLM_INTERRUPTED', message: 'y' } }, done()] },
    });
    const r = await run(['a', 'b'], attempt);
    expect(r.text).toBe('Half. Whole.');
    expect(asked.map((x) => x.req.continuation?.text)).toEqual([undefined, 'Half. ']);
    expect(r.out.filter((e) => e.event === 'error')).toEqual([{ event: 'error', data: { code: 'LLM_INTERRUPTED', message: 'y' } }]);
  });

  it('fails over before the first event, marks the fallback, and tries that region last for a while', async () => {
    const { attempt } = regions({
      a: { events: [], fail: new UpstreamError('refused', 'region_unavailable') },
      b: { events: [route(), delta('From b.'), done()] },
    });
    const r = await run(['a', 'b'], attempt);
    expect(r.text).toBe('From b.');
    expect((r.out[0].data as { fallbacks: string[] }).fallbacks).toEqual(['region_unavailable']);
    expect(r.done!.fallbacks).toEqual(['region_unavailable']);
    expect(regionOrder(['a', 'b'])).toEqual(['b', 'a']);
    expect(regionOrder(['a', 'b'], Date.now() + 60_000)).toEqual(['a', 'b']);
  });

  it("does not fail over on the request's own 4xx, and raises the last region's failure", async () => {
    const bad = regions({ a: { events: [], fail: new UpstreamError('HTTP 400', 'region_error', false, 400) }, b: { events: [route(), done()] } });
    expect((await run(['a', 'b'], bad.attempt)).error).toBeInstanceOf(UpstreamError);
    expect(bad.asked.map((x) => x.url)).toEqual(['a']);
    const throttled = regions({ a: { events: [], fail: new UpstreamError('HTTP 429', 'region_throttled', false, 429) }, b: { events: [route(), done()] } });
    expect((await run(['a', 'b'], throttled.attempt)).error).toBeUndefined();
    resetRegionHealth(); // the 429 put a last
    const allCut = regions({
      a: { events: [route(), delta('One. ')], fail: new UpstreamError('cut', 'region_error', true) },
      b: { events: [route(), delta('Two. ')], fail: new UpstreamError('cut again', 'region_timeout', true) },
    });
    const r = await run(['a', 'b'], allCut.attempt);
    expect(r.text).toBe('One. Two. ');
    expect((r.error as UpstreamError).fallback).toBe('region_timeout');
  });
});
