/**
 * `npx tsx scripts/eval/bench-generator.ts [--rounds N]`: the offline generator alone on every
 * golden question, with the passages the region cited for it in the last `eval answers` run
 * (reports/answers.json; none when absent). Prints p50/p99 of wall time and of CPU time per
 * answer (CPU time is what the generator costs; wall time also holds whatever else the machine
 * ran). The target is p99 ≤ 20 ms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../../shared/eval/metrics.ts';
import { STORE_DIR } from '../../regional/src/domain/store-files.ts';
import { ExtractiveGenerator } from '../../regional/src/generate/extractive.ts';
import { loadStoreAnswerData } from '../../regional/src/generate/structured/answer-data.ts';
import { StoreAnswers } from '../../regional/src/generate/structured/store-answers.ts';
import { loadStoreKb } from '../../regional/src/retrieval/store-kb.ts';
import { loadGoldenSet } from './golden-answers.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
const rounds = Number(values.rounds ?? 5);
const gen = new ExtractiveGenerator(new StoreAnswers(loadStoreAnswerData()));
const golden = loadGoldenSet(join(STORE_DIR, 'eval', 'golden-answers.jsonl'));
const docs = new Map((await loadStoreKb()).map((d) => [d.id, { id: d.id, title: d.title, text: d.text }]));
const report = join(import.meta.dirname, '..', '..', 'reports', 'answers.json');
const cited = new Map<string, { sources?: string[]; intent?: string }>(
  existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as { questions: { id: string; sources?: string[]; intent?: string }[] }).questions.map((q) => [q.id, q]) : [],
);
const requests = golden.map((q) => {
  const c = cited.get(q.id);
  const [intent, conf] = (c?.intent ?? '').split('@');
  return {
    system: '',
    messages: [...(q.turns ?? []), { role: 'user' as const, content: q.question }],
    maxTokens: 400,
    tier: 'small' as const,
    context: (c?.sources ?? []).flatMap((id) => docs.get(id) ?? []),
    ...(intent ? { intent, intentConfidence: Number(conf) } : {}),
  };
});
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < rounds; r++)
  for (const req of requests) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for await (const _ of gen.generate(req));
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
const f = (x: number) => Number(x.toFixed(3));
console.log(JSON.stringify({ answers: wall.length, wallP50Ms: f(percentile(wall, 50)), wallP99Ms: f(percentile(wall, 99)), cpuP50Ms: f(percentile(cpu, 50)), cpuP99Ms: f(percentile(cpu, 99)) }));
