/**
 * The chat pipeline's warm-up, run once per isolate as its load ends (edge-deps.ts), before the
 * load counts as settled: the code the first shoppers' answers run (follow-up resolution,
 * classification in context, routing, the template answer with its FAQ vector, each chat route's
 * reading of the answer — /v1/chat's JSON and /v1/chat/completions' —, the cache's key and its
 * index, loaded from D1) runs here first, so V8 compiles it and the index is read now
 * rather than inside those answers (BENCHMARKS.md "Edge template p99 on a young isolate"). The
 * models' own warm-up (runtime/edge-models.ts) already does the same for their sessions.
 *
 * The texts are the pack's own FAQ questions; nothing is kept (no session turn — the one
 * throwaway session is cleared —, no cache entry, no metrics of answers) and the region is never
 * called: a text the classifier does not route to a template only has its cache key made and
 * looked up. A failure is logged, never thrown.
 */
import type { ChatDeps } from './pipeline.ts';
import { chatPipeline } from './pipeline.ts';
import { leansOnContext, resolveFollowUp } from '../../../shared/conversation/follow-up.ts';
import { classifyInContext } from '../../../shared/conversation/classify-in-context.ts';
import type { EdgeDeps } from '../edge-deps.ts';
import type { DialogueEntity } from '../../../shared/conversation/dialogue-entities.ts';
import { SessionLog, type SessionStorage } from '../session/session-log.ts';
import type { SessionStore } from '../session/session-object.ts';
import { nextTurn } from '../runtime/edge-models.ts';
import type { HistoryTurn } from '../../../shared/api/chat.ts';
import { collectEvents } from '../../../shared/api/event-response.ts';
import { mapChatCompletionRequest } from '../../../shared/api/openai/chat-request.ts';
import { awaitRoute, completionJson, routeHeaders } from '../../../shared/api/openai/chat-response.ts';
import { contextFromHistory, contextOf, DEFAULT_SESSION_TTL_MS } from '../../../shared/conversation/session-turns.ts';

/**
 * `sessions`: the session objects' namespace; one throwaway session goes through a real object
 * (warmSessionObject), so neither the Worker's side of a session call nor, locally, an object's
 * creation and first write are first run beside a shopper's answer. `resolved`: texts whose
 * follow-up resolution alone runs (all of the pack's FAQ questions; default: `questions`).
 */
export async function warmUpChat(d: EdgeDeps, questions: readonly string[], sessions?: DurableObjectNamespace<SessionStore>, resolved: readonly string[] = questions): Promise<void> {
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
    // Every template intent's plain answer once: the variant matching a FAQ answer skips.
    for (const intent of Object.keys(d.routes.intents)) if (d.templates.has(intent)) d.templates.answer(intent, questions[0] ?? 'hello');
    // Follow-up resolution alone (no model, ~0.1 ms a text once compiled) on `resolved`: the pack's
    // questions take branches and patterns (dates, numbers, places…) that the few texts answered
    // below do not, and an isolate's second answer spent 10–19 ms there (BENCHMARKS.md "Template span tail").
    for (const text of resolved) {
      leansOnContext(text, d.dialogue);
      resolveFollowUp(text, [], d.dialogue);
    }
    await d.cache?.ready();
    if (sessions) await warmSessionObject(sessions);
    let previous: HistoryTurn[] | undefined;
    for (const text of questions) {
      // Requests that arrive meanwhile are served in between (the warm-up runs beside the first ones).
      await nextTurn();
      leansOnContext(text, d.dialogue);
      const { resolution, prediction, path } = await decide(text);
      if (path === 'template') {
        // As each chat route reads its answer: /v1/chat's JSON reply, then /v1/chat/completions'.
        const { text: answer } = await collectEvents(chatPipeline({ message: text, sessionId: 'warm-up' }, deps));
        await warmCompletion(text, deps);
        // once more as a stateless client's follow-up (the context's code path)
        if (previous && (await decide(text, previous)).path === 'template') for await (const _ of chatPipeline({ message: text, sessionId: 'warm-up', history: previous }, deps));
        previous = [{ role: 'user', content: text }, { role: 'assistant', content: answer }];
        await warmSessionLog(text, answer, resolution.entities);
      } else if (path === 'cache' && d.cache && m.embedderState.state === 'ready') {
        const [vector] = await m.embedder.embed([resolution.text]);
        await d.cache.lookup(vector, d.cache.frame(resolution.text, prediction.intent, resolution.entities));
      }
    }
  } catch (e) {
    console.error('chat warm-up failed (serving anyway):', (e as Error).message);
  }
}

/**
 * The OpenAI route's own code around the pipeline, on one message (openai-chat.ts): the request's
 * mapping, the wait for the route event and the whole completion. What runs between the route event
 * and `done` is inside an answer's timed span; the first openai answers compiled it.
 */
async function warmCompletion(text: string, deps: ChatDeps): Promise<void> {
  const { chat, options } = mapChatCompletionRequest({ model: 'switchyard', messages: [{ role: 'user', content: text }] }, () => 'warm-up');
  const events = chatPipeline(chat, deps);
  const route = await awaitRoute(events);
  routeHeaders(route);
  await completionJson(route, events, options, { id: 'warm-up', created: 0, thresholds: {} });
}

/**
 * A session's code on an answered turn, in memory: locally the session's Durable Object runs in
 * this isolate, so the first new sessions would otherwise compile its log (redaction, bounds,
 * begin/record/finish); deployed, only the Worker's side of it runs here. No object is touched.
 */
async function warmSessionLog(text: string, answer: string, entities: DialogueEntity[]): Promise<void> {
  const kept = new Map<string, unknown>();
  const storage: SessionStorage = {
    get: async <T>(k: string) => kept.get(k) as T | undefined,
    put: async (k, v) => void kept.set(k, v),
    deleteAll: async () => kept.clear(),
    setAlarm: async () => {},
    deleteAlarm: async () => {},
  };
  const log = new SessionLog(storage, { ttlMs: DEFAULT_SESSION_TTL_MS, waitMs: 0 });
  const { turnId } = await log.begin();
  await log.record({ id: turnId, at: Date.now(), text, resolved: text, entities, path: 'pending', answer: '' });
  await log.finish(turnId, { path: 'template', answer });
  contextOf(await log.turns());
}

/**
 * A new session's whole path through a real object, once, then deleted: a throwaway session of a
 * random name (no client can name it) is created, gets one turn (the first write: the turn and its
 * expiry alarm), is read back and cleared (its data and its alarm). Locally workerd runs each
 * session's object on this isolate's thread, and the first new sessions paid there for the first
 * named object, the first storage write and the first alarm, between the first answers; this pays
 * it here (BENCHMARKS.md "New-session p99"). Deployed, it is three object calls (was one read) per
 * isolate start, and what it warms is the Worker's side of the calls.
 */
async function warmSessionObject(ns: DurableObjectNamespace<SessionStore>): Promise<void> {
  const stub = ns.get(ns.idFromName(`warm-up:${crypto.randomUUID()}`));
  try {
    await stub.record({ id: crypto.randomUUID(), at: Date.now(), text: 'hello', resolved: 'hello', entities: [], path: 'template', answer: 'Hello!' });
    await stub.turns();
  } finally {
    await stub.clear();
  }
}

