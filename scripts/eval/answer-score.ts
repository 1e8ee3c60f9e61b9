/**
 * Scores answers against the golden set, question by question and in total:
 * - fact recall: facts found ÷ facts required, over the questions that expect an answer;
 * - wrong-fact rate: share of questions whose answer states a fact it must not, or a price that
 *   appears nowhere in the knowledge base (a made-up price);
 * - declines and handoffs: share of the questions that expect one whose answer is one (by the
 *   markers), and answers that declined a question they should have answered;
 * - grounding: share of answer sentences supported by the passages the answer cites, by the
 *   region's own rule (guardrails.ts sentenceSupported: every number in them, and at least half
 *   of the content words); marker sentences (a decline, a handoff line, a generator's note) are
 *   left out;
 * - answer length and latency percentiles (whole request, and the generator alone).
 * Pure: no I/O, so the rules are unit-tested with failing cases.
 */
import { percentile } from '../../shared/eval/metrics.ts';
import type { AnswerMarkers, GoldenQuestion } from './golden-answers.ts';
import { findFact, normalizeFacts, pricesIn } from './fact-match.ts';
import { sentenceSupported, splitSentences } from '../../regional/src/generate/guardrails.ts';

export interface AnsweredQuestion {
  question: GoldenQuestion;
  answer: string;
  /** Texts of the passages (documents) the answer cites, and their ids. */
  passages: string[];
  sources?: string[];
  latencyMs: number;
  /** Time in the generator alone, when the region reported it. */
  generatorMs?: number;
  intent?: string;
  path?: string;
  error?: string;
}

export interface QuestionScore {
  id: string;
  question: string;
  turns?: GoldenQuestion['turns'];
  expect: GoldenQuestion['expect'];
  answer: string;
  found: string[];
  missed: string[];
  wrong: string[];
  declined: boolean;
  handedOff: boolean;
  /** The question got what it expects: every fact and no wrong one, or the right decline/handoff. */
  pass: boolean;
  sentences: number;
  groundedSentences: number;
  latencyMs: number;
  generatorMs?: number;
  intent?: string;
  path?: string;
  sources?: string[];
  tags: string[];
}

export interface AnswerSummary {
  questions: number;
  answerQuestions: number;
  factRecall: number;
  wrongFactRate: number;
  /** Decline questions answered with a decline. */
  declineRate: number;
  /** Handoff questions answered with a handoff. */
  handoffRate: number;
  /** Answer questions that were declined instead. */
  falseDeclines: number;
  passRate: number;
  grounding: number;
  meanAnswerChars: number;
  meanAnswerWords: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  generatorP50Ms: number | null;
  generatorP99Ms: number | null;
  errors: number;
  byTag: Record<string, { questions: number; passRate: number }>;
}

const hasMarker = (answer: string, markers: string[]) => markers.some((m) => answer.toLowerCase().includes(m.toLowerCase()));

/** Share of an answer's sentences the passages support (sentenceSupported), for a quick check. */
export function answerSentencesGrounding(answer: string, passages: string[]): number {
  const sentences = splitSentences(answer).filter((s) => /\p{L}/u.test(s));
  return sentences.length ? sentences.filter((s) => sentenceSupported(s, passages.join('\n'))).length / sentences.length : 1;
}

export function scoreQuestion(a: AnsweredQuestion, markers: AnswerMarkers, knownPrices: Set<string>): QuestionScore {
  const q = a.question;
  const norm = normalizeFacts(a.answer);
  const found: string[] = [];
  const missed: string[] = [];
  for (const f of q.must) {
    const hit = findFact(norm, f);
    if (hit) found.push(hit);
    else missed.push(Array.isArray(f) ? f.join(' | ') : f);
  }
  const wrong: string[] = [];
  for (const f of q.mustNot) {
    const hit = findFact(norm, f);
    if (hit) wrong.push(hit);
  }
  for (const p of pricesIn(a.answer)) if (!knownPrices.has(p)) wrong.push(`$${p} (not a price in the knowledge base)`);
  const declined = hasMarker(a.answer, markers.decline);
  const handedOff = hasMarker(a.answer, markers.handoff);
  const exempt = [...markers.decline, ...markers.handoff, ...markers.note];
  const checked = splitSentences(a.answer)
    .map((s) => s.trim())
    .filter((s) => /\p{L}/u.test(s) && !hasMarker(s, exempt));
  const joined = a.passages.join('\n');
  const groundedSentences = checked.filter((s) => sentenceSupported(s, joined)).length;
  const ok = wrong.length === 0 && !a.error;
  const pass =
    q.expect === 'answer' ? ok && missed.length === 0 && !declined : q.expect === 'decline' ? ok && declined : ok && handedOff && !declined;
  return {
    id: q.id,
    question: q.question,
    ...(q.turns ? { turns: q.turns } : {}),
    expect: q.expect,
    answer: a.answer,
    found,
    missed,
    wrong,
    declined,
    handedOff,
    pass,
    sentences: checked.length,
    groundedSentences,
    latencyMs: a.latencyMs,
    ...(a.generatorMs !== undefined ? { generatorMs: a.generatorMs } : {}),
    ...(a.intent ? { intent: a.intent } : {}),
    ...(a.path ? { path: a.path } : {}),
    ...(a.sources ? { sources: a.sources } : {}),
    tags: q.tags,
  };
}

const share = (n: number, d: number) => (d ? n / d : 0);

export function summarize(scores: QuestionScore[], errors = 0): AnswerSummary {
  const answers = scores.filter((s) => s.expect === 'answer');
  const declines = scores.filter((s) => s.expect === 'decline');
  const handoffs = scores.filter((s) => s.expect === 'handoff');
  const facts = answers.reduce((n, s) => n + s.found.length + s.missed.length, 0);
  const gen = scores.map((s) => s.generatorMs).filter((x): x is number => x !== undefined);
  const byTag: AnswerSummary['byTag'] = {};
  for (const s of scores)
    for (const t of s.tags) {
      const b = (byTag[t] ??= { questions: 0, passRate: 0 });
      b.passRate = (b.passRate * b.questions + (s.pass ? 1 : 0)) / (b.questions + 1);
      b.questions++;
    }
  return {
    questions: scores.length,
    answerQuestions: answers.length,
    factRecall: share(answers.reduce((n, s) => n + s.found.length, 0), facts),
    wrongFactRate: share(scores.filter((s) => s.wrong.length > 0).length, scores.length),
    declineRate: share(declines.filter((s) => s.declined && !s.wrong.length).length, declines.length),
    handoffRate: share(handoffs.filter((s) => s.handedOff && !s.declined && !s.wrong.length).length, handoffs.length),
    falseDeclines: answers.filter((s) => s.declined).length,
    passRate: share(scores.filter((s) => s.pass).length, scores.length),
    grounding: share(
      scores.reduce((n, s) => n + s.groundedSentences, 0),
      scores.reduce((n, s) => n + s.sentences, 0),
    ),
    meanAnswerChars: share(scores.reduce((n, s) => n + s.answer.length, 0), scores.length),
    meanAnswerWords: share(scores.reduce((n, s) => n + (s.answer.match(/\S+/g)?.length ?? 0), 0), scores.length),
    latencyP50Ms: percentile(scores.map((s) => s.latencyMs), 50),
    latencyP99Ms: percentile(scores.map((s) => s.latencyMs), 99),
    generatorP50Ms: gen.length ? percentile(gen, 50) : null,
    generatorP99Ms: gen.length ? percentile(gen, 99) : null,
    errors,
    byTag,
  };
}
