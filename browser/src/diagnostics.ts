/** What the widget reports about itself (debug panel, `element.diagnostics`, events). */
import type { DecisionExplanation } from '../../shared/api/chat.ts';
import type { LoadTimings } from './runtime/device-models.ts';
import type { Backend } from './runtime/ort-backend.ts';
import type { TransferStats } from './runtime/verified-files.ts';
import type { Origin } from './ui/strings.ts';

export interface AnswerRecord {
  question: string;
  text: string;
  origin: Origin;
  /** The device's path (template, cache) or the edge's route path (template, cache, llm, fallback). */
  path: string;
  intent?: string;
  confidence?: number;
  /** From send to the complete answer. */
  ms: number;
  /** From send to the first text, for streamed answers. */
  firstTextMs?: number;
  device?: { classifyMs: number; answerMs: number };
  edge?: { traceId: string; latencyMs?: Record<string, number>; generator?: string; error?: string };
  /** The message as resolved against the conversation (by the edge when it answered, else the device). */
  resolved?: { text: string; carried: string[] };
  /** True when an edge answer was stored in the device's semantic cache. */
  remembered?: boolean;
  /** Why it took its path: the device's own decision, or the edge's route event's. */
  decision?: DecisionExplanation;
}

export interface Diagnostics {
  /** idle: waiting for the visitor's interest (nothing downloaded yet). */
  status: 'idle' | 'loading' | 'ready' | 'edge-only';
  /** What started the model load: open, hover, focus, touch, send, idle (preload="idle") or api (whenReady()). */
  trigger?: string;
  code?: string;
  reason?: string;
  backend?: Backend;
  threads?: number;
  adapter?: string;
  webgpuSkipped?: string;
  models?: { classifier: string; embedder: string };
  /** Whether the embedder (FAQ matching, the local cache) has loaded: it loads when a question first needs it. */
  embedderLoaded?: boolean;
  embedderError?: string;
  timings?: Partial<LoadTimings>;
  budgetMs: number;
  /** ms from the start of loading until the device could answer. */
  readyMs?: number;
  transfer?: TransferStats;
  cacheStorage?: 'indexeddb' | 'memory';
  online: boolean;
  edgeUrl: string;
  answers: number;
  last?: AnswerRecord;
}
