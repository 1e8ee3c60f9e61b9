/** The LLM-configuration gate's rule on the golden answer set: floors and a wrong-fact ceiling, with failing cases. */
import { describe, expect, it } from 'vitest';
import { answerChecks, DEFAULT_MARGINS, type AnswerGateResult } from '../regional/src/ops/gate/rules.ts';

const base: AnswerGateResult = { model: 'builtin', questions: 239, factRecall: 0.93, wrongFactRate: 0.004, declineRate: 1, grounding: 0.92, generatorP99Ms: 3 };
const failed = (c: AnswerGateResult) => answerChecks(base, c).filter((x) => !x.passed).map((x) => x.metric);

describe('answer checks of the LLM-configuration gate', () => {
  it('passes a candidate within the margins', () => {
    expect(failed({ ...base, model: 'c', factRecall: 0.915, grounding: 0.905, wrongFactRate: 0.008 })).toEqual([]);
  });

  it('refuses lower recall, fewer declines, weaker grounding and more wrong facts', () => {
    expect(failed({ ...base, factRecall: 0.9 })).toEqual(['factRecall']);
    expect(failed({ ...base, declineRate: 0.95 })).toEqual(['declineRate']);
    expect(failed({ ...base, grounding: 0.85 })).toEqual(['grounding']);
    expect(failed({ ...base, wrongFactRate: 0.01 })).toEqual(['wrongFactRate']);
    const all = answerChecks(base, { ...base, factRecall: 0.5, declineRate: 0.5, grounding: 0.5, wrongFactRate: 0.2 });
    expect(all.every((c) => !c.passed)).toBe(true);
    expect(all.find((c) => c.metric === 'wrongFactRate')!.message).toMatch(/above the 0\.50% margin/);
  });

  it('uses the margins it is given', () => {
    expect(failed({ ...base, factRecall: 0.9 }).length).toBe(1);
    expect(answerChecks(base, { ...base, factRecall: 0.9 }, { ...DEFAULT_MARGINS, answers: 0.05 }).every((c) => c.passed)).toBe(true);
  });
});
