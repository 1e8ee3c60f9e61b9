/**
 * The body of POST /v1/kb/documents, checked before anything is chunked or embedded: text and
 * title with something besides whitespace, an http(s) URL only (no `javascript:`, `data:`,
 * `file:`…), chunk overlap at most half the chunk size, and metadata bounded in depth and size
 * (it is hashed, stored and returned whole). Refuses each with INVALID_REQUEST naming the field.
 */
import { z } from 'zod';
import { DEFAULT_CHUNK_SIZE } from '../retrieval/chunker.ts';

/** Deepest metadata nesting accepted (`{"a": {"b": …}}` is 2). */
export const MAX_METADATA_DEPTH = 8;
/** Largest metadata, as JSON. */
export const MAX_METADATA_BYTES = 64 * 1024;

const notBlank = (s: string) => s.trim().length > 0;

function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d + 1);
    if (deepest > MAX_METADATA_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

const Metadata = z
  .record(z.string().max(200), z.unknown())
  .refine((m) => depthOf(m) <= MAX_METADATA_DEPTH, `metadata may nest at most ${MAX_METADATA_DEPTH} levels`)
  .refine((m) => new TextEncoder().encode(JSON.stringify(m)).byteLength <= MAX_METADATA_BYTES, `metadata may be at most ${MAX_METADATA_BYTES} bytes as JSON`);

const HttpUrl = z
  .string()
  .max(2000)
  .url()
  .refine((u) => URL.canParse(u) && /^https?:$/i.test(new URL(u).protocol), 'url must be an http or https URL');

export const DocumentRequest = z
  .object({
    id: z.string().min(1).max(200).regex(/^[\w.#:\/-]+$/, 'id may use letters, digits and _ . # : / -'),
    title: z.string().min(1).max(500).refine(notBlank, 'title must contain more than whitespace'),
    text: z.string().min(1).max(2_000_000).refine(notBlank, 'text must contain more than whitespace'),
    source: z.string().max(100).optional(),
    url: HttpUrl.optional(),
    metadata: Metadata.optional(),
    chunkSize: z.number().int().min(16).max(2000).optional(),
    chunkOverlap: z.number().int().min(0).max(1000).optional(),
  })
  .superRefine((d, ctx) => {
    const size = d.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (d.chunkOverlap !== undefined && d.chunkOverlap > size / 2) {
      ctx.addIssue({ code: 'custom', path: ['chunkOverlap'], message: `chunkOverlap may be at most half of chunkSize (${size / 2})` });
    }
  });
export type DocumentRequest = z.infer<typeof DocumentRequest>;
