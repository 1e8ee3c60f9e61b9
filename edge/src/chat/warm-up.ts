/**
 * The chat pipeline's warm-up, run once per isolate as its load ends (edge-deps.ts), before the
 * load counts as settled: the code the first shoppers' answers run (follow-up resolution,
 * classification in context, routing, the template answer with its FAQ vector, the cache's key
 * and its index, loaded from D1) runs here first, so V8 compiles it and the index is read now
 * rather than inside those answers (BENCHMARKS.md "Edge template p99 on a young isolate"). The
 * models' own warm-up (runtime/edge-models.ts) already does the same for their sessions.
 *
 * The texts are the pack's own FAQ questions; nothing is written (no session, no cache entry,
 * no metrics of answers) and the region is never called: a text the classifier does not route to
 * a template only has its cache key made and looked up. A failure is logged, never thrown.
 */
import type { ChatDeps } from './pipeline.ts';
import { chatPipeline } from './pipeline.ts';
import { resolveFollowUp } from '../../../shared/conversation/follow-up.ts';
import { classifyInContext } from '../../../shared/conversation/classify-in-context.ts';
import type { EdgeDeps } from '../edge-deps.ts';
import type { HistoryTurn } from '../../../shared/api/chat.ts';
import { contextFromHistory } from '../../../shared/conversation/session-turns.ts';

export async function warmUpChat(d: EdgeDeps, questions: readonly string[]): Promise<void> {
  if (!d.models.ok) return;
  const m = d.models.models;
  const deps: ChatDeps = {
    ...d,
    session: null,
    // never called: only template answers run the whole pipeline here
    upstream: { baseUrl: 'http://warm-up.invalid', traceparent: '', firstEventMs: 1, idleMs: 1 },
    traceId: 'warm-up',
    background: () => {},
  };
  // What the pipeline would decide for `text` after `history`: only a template answer is run whole.
  const decide = async (text: string, history?: HistoryTurn[]) => {
    const resolution = resolveFollowUp(text, history ? contextFromHistory(history, d.dialogue) : [], d.dialogue);
    return { resolution, ...(await classifyInContext(m.classifier, text, resolution, d.routes, d.dialogue)) };
  };
  try {
    await d.cache?.ready();
    let previous: HistoryTurn[] | undefined;
    for (const text of questions) {
      const { resolution, prediction, path } = await decide(text);
      if (path === 'template') {
        let answer = '';
        for await (const ev of chatPipeline({ message: text, sessionId: 'warm-up' }, deps)) if (ev.event === 'delta') answer += ev.data.text;
        // once more as a stateless client's follow-up (the context's code path)
        if (previous && (await decide(text, previous)).path === 'template') for await (const _ of chatPipeline({ message: text, sessionId: 'warm-up', history: previous }, deps));
        previous = [{ role: 'user', content: text }, { role: 'assistant', content: answer }];
      } else if (path === 'cache' && d.cache && m.embedderState.state === 'ready') {
        const [vector] = await m.embedder.embed([resolution.text]);
        await d.cache.lookup(vector, d.cache.frame(resolution.text, prediction.intent, resolution.entities));
      }
    }
  } catch (e) {
    console.error('chat warm-up failed (serving anyway):', (e as Error).message);
  }
}
