/**
 * The last clean answers per intent, served (marked) when every LLM region is down or slow. They
 * live in the store (both dialects), so they survive a restart and every regional process on the
 * same database shares them; this process also keeps its own in memory, used when the store does
 * not answer within `timeoutMs` (the store is itself a dependency that can fail).
 *
 * One answer per question (the newest): a question asked again replaces its answer instead of
 * crowding out other questions, and an answer this process already stored unchanged is not
 * written again. Writes happen after the answer is sent (next turn of the event loop), at most
 * one per intent every `minWriteIntervalMs`: under load the stored set is refreshed a little at
 * a time instead of once per answer (this process keeps every answer in memory meanwhile).
 */
import type { FallbackAnswerRecord, Store } from '../store/types.ts';

export interface FallbackAnswer {
  question: string;
  text: string;
  sources: string[];
  at: number;
}

export interface FallbackAnswersOptions {
  /** Answers kept per intent (default 20). */
  perIntent?: number;
  /** Budget for reading the store when the answer is needed (default 250 ms). */
  timeoutMs?: number;
  /** A store read or write that failed or timed out (the in-memory answers were used). */
  onStoreError?: (e: unknown) => void;
  /** Least time between two store writes for one intent (default 1 s). */
  minWriteIntervalMs?: number;
  now?: () => number;
}

const WORDS = /\p{L}{3,}|\p{N}+/gu;
/** A question's identity: its words, lowercased. */
const questionKey = (q: string) => (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');

export class FallbackAnswers {
  private readonly local = new Map<string, FallbackAnswer[]>();
  private readonly writes = new Set<Promise<void>>();
  /** What this process last stored, by intent and question key (so unchanged answers are not rewritten). */
  private readonly persisted = new Map<string, Map<string, string>>();
  private readonly lastWrite = new Map<string, number>();
  private readonly perIntent: number;

  constructor(
    private readonly store?: Pick<Store, 'rememberAnswer' | 'recentAnswers' | 'forgetAnswers'>,
    private readonly opts: FallbackAnswersOptions = {},
  ) {
    this.perIntent = opts.perIntent ?? 20;
  }

  /** Remembers an answer here at once and in the store in the background (see {@link flushed}). */
  remember(intent: string | undefined, a: FallbackAnswer): void {
    if (!intent || intent === 'oos' || intent === 'unknown') return;
    const key = questionKey(a.question);
    const list = (this.local.get(intent) ?? []).filter((x) => questionKey(x.question) !== key);
    list.unshift(a);
    list.length = Math.min(list.length, this.perIntent);
    this.local.set(intent, list);
    const store = this.store;
    if (!store) return;
    const mine = this.persisted.get(intent) ?? new Map<string, string>();
    this.persisted.set(intent, mine);
    if (mine.get(key) === a.text) return;
    const now = (this.opts.now ?? Date.now)();
    if (now - (this.lastWrite.get(intent) ?? -Infinity) < (this.opts.minWriteIntervalMs ?? 1000)) return;
    this.lastWrite.set(intent, now);
    mine.delete(key);
    mine.set(key, a.text);
    if (mine.size > this.perIntent) mine.delete(mine.keys().next().value!);
    const w = new Promise<void>((r) => setImmediate(r))
      .then(() => store.rememberAnswer({ intent, question: a.question, text: a.text, sources: a.sources }, this.perIntent))
      .catch((e) => {
        mine.delete(key);
        this.opts.onStoreError?.(e);
      })
      .finally(() => this.writes.delete(w));
    this.writes.add(w);
  }

  /**
   * Forgets a remembered answer (by its store id) or an intent's, in the store and in this
   * process; other processes on the same store stop serving it at once (they read the store
   * first). Returns the store's records removed.
   */
  async forget(which: { id: number } | { intent: string }): Promise<FallbackAnswerRecord[]> {
    const removed = this.store ? await this.store.forgetAnswers(which) : [];
    const drop = (intent: string, keys: Set<string> | null) => {
      const list = (this.local.get(intent) ?? []).filter((a) => keys && !keys.has(questionKey(a.question)));
      this.local.set(intent, list);
      for (const k of keys ?? this.persisted.get(intent)?.keys() ?? []) this.persisted.get(intent)?.delete(k);
    };
    if ('intent' in which) drop(which.intent, null);
    for (const r of removed) drop(r.intent, new Set([questionKey(r.question)]));
    return removed;
  }

  /** Resolves when every answer remembered so far is in the store (or its write failed). */
  async flushed(): Promise<void> {
    await Promise.all([...this.writes]);
  }

  /**
   * The remembered answer of this intent whose question shares the most words with `question`,
   * among the store's (every process's) and this process's own, the newest answer per question.
   */
  async find(intent: string | undefined, question: string): Promise<FallbackAnswer | null> {
    if (!intent) return null;
    const newest = new Map<string, FallbackAnswer>();
    for (const a of [...((await this.stored(intent)) ?? []), ...(this.local.get(intent) ?? [])]) {
      const key = questionKey(a.question);
      const seen = newest.get(key);
      if (!seen || a.at > seen.at) newest.set(key, a);
    }
    return best([...newest.values()].sort((x, y) => y.at - x.at), question);
  }

  /** The store's answers for the intent; null when it has none, fails or is too slow. */
  private async stored(intent: string): Promise<FallbackAnswer[] | null> {
    if (!this.store) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const rows = await Promise.race([
        this.store.recentAnswers(intent, this.perIntent),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`remembered answers: the store did not answer within ${this.opts.timeoutMs ?? 250} ms`)), this.opts.timeoutMs ?? 250);
        }),
      ]);
      return rows.length ? rows.map((r) => ({ question: r.question, text: r.text, sources: r.sources, at: r.createdAt.getTime() })) : null;
    } catch (e) {
      this.opts.onStoreError?.(e);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}

function best(list: FallbackAnswer[], question: string): FallbackAnswer | null {
  if (!list.length) return null;
  const words = new Set(question.toLowerCase().match(WORDS) ?? []);
  let top = list[0];
  let topScore = -1;
  for (const a of list) {
    const score = (a.question.toLowerCase().match(WORDS) ?? []).filter((w) => words.has(w)).length;
    if (score > topScore) (top = a), (topScore = score);
  }
  return top;
}
