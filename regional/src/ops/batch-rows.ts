/**
 * One chunk of a batch job: parse the JSONL rows, run the task's model over them, and render one
 * output line per row, in row order. A bad row or a failed inference becomes an output line with
 * an error (the row is accounted for, never dropped); the job itself keeps going.
 *
 * Input rows:   classify / embed: {"text": "...", "id"?: ...} or a bare JSON string
 *               rerank:           {"query": "...", "documents": ["...", ...] | [{"text"}], "id"?: ...}
 * Output lines: {"index": i, "id"?: ..., "intent", "confidence", "confident"} (classify)
 *               {"index": i, "id"?: ..., "embedding": [...]}                   (embed)
 *               {"index": i, "id"?: ..., "scores": [...]}                      (rerank, in document order)
 *               {"index": i, "id"?: ..., "error": {"code", "message"}}         (a row that failed)
 */
import { z } from 'zod';
import type { IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import type { Lane } from '../inference/batcher.ts';
import type { BatchTask } from '../store/types.ts';

/**
 * The models a batch job calls (the service's batched ones) and the versions it records. Every
 * call passes the lane "batch", so batch rows only fill room interactive requests leave.
 */
export interface BatchModels {
  classify?: (text: string, lane?: Lane) => Promise<IntentPrediction>;
  classifierVersion?: string;
  embed?: (texts: string[], lane?: Lane) => Promise<Float32Array[]>;
  embedderVersion?: string;
  rerank?: (query: string, passages: string[], lane?: Lane) => Promise<Float32Array>;
  rerankerVersion?: string;
}

export function modelVersionFor(task: BatchTask, m: BatchModels): string | null {
  if (task === 'classify') return m.classify ? (m.classifierVersion ?? 'unversioned') : null;
  if (task === 'embed') return m.embed ? (m.embedderVersion ?? 'unversioned') : null;
  return m.rerank ? (m.rerankerVersion ?? 'unversioned') : null;
}

const MAX_TEXT = 32_000;
const Id = z.union([z.string().max(256), z.number()]).optional();
/** A bare JSON string is a row with only a text. */
const TextRow = z.preprocess((v) => (typeof v === 'string' ? { text: v } : v), z.object({ text: z.string().min(1).max(MAX_TEXT), id: Id }));
const RerankRow = z.object({
  query: z.string().min(1).max(4000),
  documents: z.array(z.union([z.string().max(MAX_TEXT), z.object({ text: z.string().max(MAX_TEXT) })])).min(1).max(1000),
  id: Id,
});

interface RowError {
  code: 'INVALID_ROW' | 'INFERENCE_FAILED';
  message: string;
}

type Parsed<T> = { ok: true; id?: string | number; value: T } | { ok: false; id?: string | number; error: RowError };

function parseRow<T extends { id?: string | number }>(schema: z.ZodType<T>, line: string): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: { code: 'INVALID_ROW', message: `not valid JSON: ${(e as Error).message}` } };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, id: r.data.id, value: r.data };
  const i = r.error.issues[0];
  const id = typeof json === 'object' && json && 'id' in json && (typeof json.id === 'string' || typeof json.id === 'number') ? json.id : undefined;
  return { ok: false, id, error: { code: 'INVALID_ROW', message: `${i?.path.join('.') || 'row'}: ${i?.message ?? 'invalid'}` } };
}

function line(index: number, id: string | number | undefined, body: Record<string, unknown>): string {
  return JSON.stringify(id === undefined ? { index, ...body } : { index, id, ...body }) + '\n';
}

/** Batch jobs run in the batchers' low-priority lane. */
const LANE: Lane = 'batch';

const failed = (e: unknown): RowError => ({ code: 'INFERENCE_FAILED', message: String((e as Error)?.message ?? e).slice(0, 500) });

/** Runs one chunk of rows (`first` is the index of rows[0]); returns the output text and its error count. */
export async function runChunk(task: BatchTask, m: BatchModels, rows: string[], first: number): Promise<{ text: string; errors: number }> {
  let errors = 0;
  const out: string[] = new Array(rows.length);
  const fail = (i: number, id: string | number | undefined, error: RowError) => {
    errors++;
    out[i] = line(first + i, id, { error });
  };

  if (task === 'classify') {
    const parsed = rows.map((r) => parseRow(TextRow, r));
    const results = await Promise.allSettled(parsed.map((p) => (p.ok ? m.classify!(p.value.text, LANE) : Promise.resolve(null))));
    parsed.forEach((p, i) => {
      if (!p.ok) return fail(i, p.id, p.error);
      const r = results[i];
      if (r.status === 'rejected') return fail(i, p.id, failed(r.reason));
      const pred = r.value!;
      out[i] = line(first + i, p.id, { intent: pred.intent, confidence: pred.confidence, confident: pred.confident });
    });
  } else if (task === 'embed') {
    const parsed = rows.map((r) => parseRow(TextRow, r));
    const good = parsed.flatMap((p, i) => (p.ok ? [i] : []));
    const vectors = new Map<number, Float32Array>();
    try {
      const vs = await m.embed!(good.map((i) => (parsed[i] as { value: { text: string } }).value.text), LANE);
      good.forEach((i, j) => vectors.set(i, vs[j]));
    } catch {
      // One bad text fails the whole call: embed row by row to find it.
      for (const i of good) {
        try {
          vectors.set(i, (await m.embed!([(parsed[i] as { value: { text: string } }).value.text], LANE))[0]);
        } catch (e) {
          fail(i, parsed[i].id, failed(e));
        }
      }
    }
    parsed.forEach((p, i) => {
      if (!p.ok) return fail(i, p.id, p.error);
      const v = vectors.get(i);
      if (v) out[i] = line(first + i, p.id, { embedding: Array.from(v) });
    });
  } else {
    const parsed = rows.map((r) => parseRow(RerankRow, r));
    const results = await Promise.allSettled(
      parsed.map((p) => (p.ok ? m.rerank!(p.value.query, p.value.documents.map((d) => (typeof d === 'string' ? d : d.text)), LANE) : Promise.resolve(null))),
    );
    parsed.forEach((p, i) => {
      if (!p.ok) return fail(i, p.id, p.error);
      const r = results[i];
      if (r.status === 'rejected') return fail(i, p.id, failed(r.reason));
      out[i] = line(first + i, p.id, { scores: Array.from(r.value!) });
    });
  }
  return { text: out.join(''), errors };
}
