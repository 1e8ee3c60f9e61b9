/** Rollout routing: sticky assignment, split ratios, canary and shadow, guardrails, A/B statistics. */
import { describe, expect, it } from 'vitest';
import {
  abReport,
  assign,
  evaluateCanary,
  hash32,
  normalCdf,
  normalQuantile,
  requiredSampleSize,
  RolloutError,
  twoProportionTest,
  type RolloutRule,
  type VariantStats,
} from '../regional/src/ops/rollout.ts';

const users = (n: number, prefix = 'user') => [...Array(n)].map((_, i) => `${prefix}-${i}`);

describe('sticky assignment', () => {
  const ab: RolloutRule = { model: 'store-intent', variants: [{ name: 'A', weight: 50 }, { name: 'B', weight: 50 }] };

  it('gives a user the same variant every time, keyed by user id before session id', () => {
    for (const u of users(200)) {
      const first = assign(ab, { userId: u, sessionId: 's-1' });
      expect(first.keyedBy).toBe('user');
      for (let k = 0; k < 5; k++) expect(assign(ab, { userId: u, sessionId: `s-${k}` }).variant).toBe(first.variant);
    }
    // anonymous traffic is sticky per session
    const s = assign(ab, { sessionId: 'anon-42' });
    expect(s.keyedBy).toBe('session');
    expect(assign(ab, { sessionId: 'anon-42', userId: null }).variant).toBe(s.variant);
    expect(() => assign(ab, {})).toThrow(RolloutError);
  });

  it('splits traffic by weight within tolerance', () => {
    const rule: RolloutRule = { model: 'store-intent', variants: [{ name: 'A', weight: 70 }, { name: 'B', weight: 20 }, { name: 'C', weight: 10 }] };
    const n = 50_000;
    const counts: Record<string, number> = { A: 0, B: 0, C: 0 };
    for (const u of users(n)) counts[assign(rule, { userId: u }).variant]++;
    // 4 standard deviations of a binomial share at n = 50k is under 0.9 points
    expect(Math.abs(counts.A / n - 0.7)).toBeLessThan(0.009);
    expect(Math.abs(counts.B / n - 0.2)).toBeLessThan(0.009);
    expect(Math.abs(counts.C / n - 0.1)).toBeLessThan(0.006);
  });

  it('splits models and salts independently', () => {
    const other = { ...ab, model: 'reranker' };
    const reshuffled = { ...ab, salt: 'experiment-2' };
    let sameModel = 0;
    let sameSalt = 0;
    const us = users(10_000);
    for (const u of us) {
      const v = assign(ab, { userId: u }).variant;
      if (assign(other, { userId: u }).variant === v) sameModel++;
      if (assign(reshuffled, { userId: u }).variant === v) sameSalt++;
    }
    // independent 50/50 splits agree about half the time
    expect(sameModel / us.length).toBeGreaterThan(0.47);
    expect(sameModel / us.length).toBeLessThan(0.53);
    expect(sameSalt / us.length).toBeGreaterThan(0.47);
    expect(sameSalt / us.length).toBeLessThan(0.53);
  });

  it('hashes well: distinct inputs rarely collide', () => {
    const seen = new Set(users(20_000).map(hash32));
    expect(seen.size).toBeGreaterThan(19_990);
  });

  it('sends the canary percentage to the canary, and a user in at 5% stays in at 10% and 50%', () => {
    const rule = (percent: number): RolloutRule => ({ model: 'store-intent', canary: { percent, control: 'v1', canary: 'v2' } });
    const us = users(40_000);
    const inAt = (p: number) => new Set(us.filter((u) => assign(rule(p), { userId: u }).variant === 'v2'));
    const five = inAt(5);
    const ten = inAt(10);
    const half = inAt(50);
    expect(Math.abs(five.size / us.length - 0.05)).toBeLessThan(0.005);
    expect(Math.abs(ten.size / us.length - 0.1)).toBeLessThan(0.006);
    for (const u of five) expect(ten.has(u)).toBe(true);
    for (const u of ten) expect(half.has(u)).toBe(true);
    expect(inAt(0).size).toBe(0);
    expect(inAt(100).size).toBe(us.length);
  });

  it('shadows a sticky sample on the candidate, never when the candidate is what is served', () => {
    const rule: RolloutRule = { model: 'store-intent', canary: { percent: 10, control: 'v1', canary: 'v2' }, shadow: { percent: 30, candidate: 'v2' } };
    const us = users(20_000);
    let shadowed = 0;
    let control = 0;
    for (const u of us) {
      const a = assign(rule, { userId: u });
      if (a.variant === 'v2') expect(a.shadow).toBeNull();
      else {
        control++;
        if (a.shadow) {
          expect(a.shadow).toBe('v2');
          shadowed++;
        }
        expect(assign(rule, { userId: u }).shadow).toBe(a.shadow);
      }
    }
    expect(Math.abs(shadowed / control - 0.3)).toBeLessThan(0.015);
  });

  it('refuses invalid rules', () => {
    expect(() => assign({ model: 'm', canary: { percent: 120, control: 'a', canary: 'b' } }, { userId: 'u' })).toThrow(/0–100/);
    expect(() => assign({ model: 'm', variants: [] }, { userId: 'u' })).toThrow(RolloutError);
    expect(() => assign({ model: 'm', variants: [{ name: 'a', weight: 0 }] }, { userId: 'u' })).toThrow(/sum to 0/);
    expect(() => assign({ model: 'm' }, { userId: 'u' })).toThrow(/variants or a canary/);
  });
});

describe('canary guardrails', () => {
  const control: VariantStats = { requests: 10_000, errors: 20, p99Ms: 12, confidenceHistogram: [0, 0, 0, 1, 2, 3, 5, 10, 30, 49] };
  const healthy: VariantStats = { requests: 1000, errors: 2, p99Ms: 13, confidenceHistogram: [0, 0, 0, 1, 2, 4, 5, 9, 30, 49] };

  it('continues while the canary is within guardrails and waits for enough traffic', () => {
    expect(evaluateCanary({ control, canary: healthy, agreement: { compared: 500, agreed: 490 } }).action).toBe('continue');
    expect(evaluateCanary({ control, canary: { ...healthy, requests: 50, errors: 0 } }).action).toBe('wait');
  });

  it('rolls back on an injected error-rate regression (> 2× control) and says why', () => {
    const d = evaluateCanary({ control, canary: { ...healthy, errors: 9 } }); // 0.9% vs 0.2% control
    expect(d.action).toBe('rollback');
    expect(d.reasons.map((r) => r.code)).toEqual(['ERROR_RATE']);
    expect(d.reasons[0].canary).toBeCloseTo(0.009, 9);
    expect(d.reasons[0].limit).toBeCloseTo(0.004, 9);
    expect(d.summary).toMatch(/error rate 0\.90% > 2× control 0\.20%/);
    // at exactly 2× it is not a breach; and a couple of errors against a clean control are noise
    expect(evaluateCanary({ control, canary: { ...healthy, errors: 4 } }).action).toBe('continue');
    expect(evaluateCanary({ control: { ...control, errors: 0 }, canary: { ...healthy, errors: 3 } }).action).toBe('continue');
  });

  it('rolls back on p99 latency, classifier disagreement and a shifted confidence distribution', () => {
    expect(evaluateCanary({ control, canary: { ...healthy, p99Ms: 30 } }).reasons.map((r) => r.code)).toEqual(['P99_LATENCY']);
    expect(evaluateCanary({ control, canary: { ...healthy, p99Ms: 16 } }).action).toBe('continue'); // within 12 ms + 5 ms slack
    expect(evaluateCanary({ control, canary: healthy, agreement: { compared: 400, agreed: 300 } }).reasons.map((r) => r.code)).toEqual(['AGREEMENT']);
    const flat = { ...healthy, confidenceHistogram: [5, 10, 20, 30, 20, 10, 3, 1, 1, 0] };
    expect(evaluateCanary({ control, canary: flat }).reasons.map((r) => r.code)).toEqual(['CONFIDENCE_DRIFT']);
    const all = evaluateCanary({ control, canary: { ...flat, errors: 50, p99Ms: 80 }, agreement: { compared: 400, agreed: 100 } });
    expect(all.reasons.map((r) => r.code).sort()).toEqual(['AGREEMENT', 'CONFIDENCE_DRIFT', 'ERROR_RATE', 'P99_LATENCY']);
  });
});

describe('A/B statistics', () => {
  it('normal CDF and quantile match tables', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('two-proportion z-test on known numbers', () => {
    const r = twoProportionTest({ successes: 200, trials: 1000 }, { successes: 250, trials: 1000 });
    expect(r.difference).toBeCloseTo(0.05, 12);
    expect(r.z).toBeCloseTo(2.677397763, 6);
    expect(r.pValue).toBeCloseTo(0.0074196493, 6);
    expect(r.significant).toBe(true);
    expect(r.ci[0]).toBeGreaterThan(0);
    const ns = twoProportionTest({ successes: 100, trials: 1000 }, { successes: 110, trials: 1000 });
    expect(ns.z).toBeCloseTo(0.7294219615, 6);
    expect(ns.pValue).toBeCloseTo(0.4657435879, 5);
    expect(ns.significant).toBe(false);
    expect(() => twoProportionTest({ successes: 5, trials: 4 }, { successes: 1, trials: 2 })).toThrow(RangeError);
  });

  it('sample size for 10% → 12% at alpha 0.05, power 0.8 is 3,841 per variant', () => {
    expect(requiredSampleSize(0.1, 0.12)).toBe(3841);
    // a smaller effect needs more; more power needs more
    expect(requiredSampleSize(0.1, 0.11)).toBeGreaterThan(3841 * 3.5);
    expect(requiredSampleSize(0.1, 0.12, 0.05, 0.9)).toBeGreaterThan(3841);
    expect(() => requiredSampleSize(0.1, 0.1)).toThrow(RangeError);
  });

  it('reports per-variant counts, significance and whether there is enough data', () => {
    const r = abReport('answered_without_handoff', { name: 'A', successes: 400, trials: 4000 }, { name: 'B', successes: 480, trials: 4000 }, { minDetectableEffect: 0.02 });
    expect(r.variants.map((v) => v.rate)).toEqual([0.1, 0.12]);
    expect(r.requiredPerVariant).toBe(3841);
    expect(r.enoughData).toBe(true);
    expect(r.test.significant).toBe(true);
    const early = abReport('x', { name: 'A', successes: 40, trials: 400 }, { name: 'B', successes: 48, trials: 400 }, { minDetectableEffect: 0.02 });
    expect(early.enoughData).toBe(false);
    expect(early.test.significant).toBe(false);
  });
});

describe('shadow runs', () => {
  it('run after the served answer is returned, never change it, and swallow candidate errors', async () => {
    const { shadowRun, ClassifierShadowLog, llmShadowReport } = await import('../regional/src/ops/shadow.ts');
    const events: string[] = [];
    const serve = async () => {
      const answer = { intent: 'shipping_info' };
      shadowRun(
        async () => {
          events.push('shadow started');
          throw new Error('candidate crashed');
        },
        (r) => events.push(r.ok ? 'shadow ok' : `shadow failed: ${(r.error as Error).message}`),
      );
      events.push('served');
      return answer;
    };
    expect(await serve()).toEqual({ intent: 'shipping_info' });
    expect(events).toEqual(['served']);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['served', 'shadow started', 'shadow failed: candidate crashed']);

    const log = new ClassifierShadowLog();
    const pairs: [string, string][] = [['a', 'a'], ['a', 'b'], ['a', 'a'], ['c', 'c'], ['c', 'b']];
    pairs.forEach(([c, k], i) => log.record({ intent: c, ms: 1 }, { intent: k, ms: 1 + i }));
    log.record({ intent: 'a', ms: 1 }, { error: new Error('x') });
    const r = log.report();
    expect(r).toMatchObject({ compared: 5, candidateErrors: 1, agreement: 0.6 });
    expect(r.disagreements).toEqual([
      { intent: 'a', count: 1, rate: 1 / 3, candidateSaid: { b: 1 } },
      { intent: 'c', count: 1, rate: 0.5, candidateSaid: { b: 1 } },
    ]);
    expect(r.latencyMs?.deltaP50).toBe(2);

    // Rerankings: the share of the top 5 in common and the first passage, per served intent.
    const { RerankerShadowLog, rankingAgreement } = await import('../regional/src/ops/shadow.ts');
    expect(rankingAgreement([0, 1, 2, 3, 4], [4, 3, 2, 1, 0])).toEqual({ overlap: 1, top1: false });
    expect(rankingAgreement([0, 1, 2, 3, 4], [0, 1, 2, 7, 8])).toEqual({ overlap: 0.6, top1: true });
    expect(rankingAgreement([2, 0], [2, 0])).toEqual({ overlap: 1, top1: true });
    const rr = new RerankerShadowLog();
    rr.record({ intent: 'a', ranking: [0, 1, 2, 3, 4], ms: 2 }, { intent: 'a', ranking: [0, 1, 2, 3, 4], ms: 3 });
    rr.record({ intent: 'a', ranking: [0, 1, 2, 3, 4], ms: 2 }, { intent: 'a', ranking: [1, 0, 2, 3, 4], ms: 3 });
    rr.record({ intent: 'b', ranking: [0, 1, 2, 3, 4], ms: 2 }, { intent: 'b', ranking: [5, 6, 2, 3, 4], ms: 3 });
    rr.record({ intent: 'b', ranking: [0, 1, 2, 3, 4], ms: 2 }, { error: new Error('x') });
    const rep = rr.report();
    expect(rep).toMatchObject({ compared: 3, candidateErrors: 1, top1Agreement: 1 / 3 });
    expect(rep.agreement).toBeCloseTo((1 + 1 + 0.6) / 3, 12);
    expect(rep.disagreements).toEqual([
      { intent: 'b', count: 1, rate: 1, top1Changed: 1 },
      { intent: 'a', count: 0, rate: 0, top1Changed: 1 },
    ]);
    expect(rep.latencyMs?.deltaP50).toBe(1);

    const llm = llmShadowReport([
      { control: { text: 'abcd', guardrailsPassed: true, formatOk: true, ms: 100 }, candidate: { text: 'abcdefgh', guardrailsPassed: false, formatOk: true, ms: 150 } },
      { control: { text: 'ab', guardrailsPassed: true, formatOk: false, ms: 80 }, candidate: { text: 'abcdef', guardrailsPassed: true, formatOk: true, ms: 90 } },
    ]);
    expect(llm.control).toMatchObject({ n: 2, guardrailPassRate: 1, formatOkRate: 0.5, outputChars: { mean: 3 } });
    expect(llm.candidate).toMatchObject({ guardrailPassRate: 0.5, formatOkRate: 1, outputChars: { mean: 7 } });
  });
});
