/**
 * The embedder the retrieval layer calls: a batch of texts in, one vector per text out. `name` is
 * the embedding model version written with every chunk (and must equal the store's
 * embeddingVersion). loadLocalEmbedder wraps the committed default static embedder
 * (models/default/embedder, 100-d, onnxruntime-node, manifest-verified).
 */
import { fileURLToPath } from 'node:url';
import { loadSentenceEmbedder } from '../inference/load-node.ts';

import type { Embedder } from '../backends/types.ts';

export type { Embedder };

export const DEFAULT_EMBEDDER_DIR = fileURLToPath(new URL('../../../models/default/embedder', import.meta.url));

/** Largest batch handed to one onnxruntime run. */
const BATCH = 64;

export async function loadLocalEmbedder(dir = DEFAULT_EMBEDDER_DIR, opts: { threads?: number } = {}): Promise<Embedder & { maxTokens: number }> {
  const model = await loadSentenceEmbedder(dir, opts.threads ?? 1);
  const name = `${model.manifest.name}@${model.manifest.version}`;
  const embed = async (texts: string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      signal?.throwIfAborted();
      out.push(...(await model.embed(texts.slice(i, i + BATCH))));
    }
    signal?.throwIfAborted();
    return out;
  };
  const [probe] = await embed(['dimension probe']);
  return { name, dimensions: probe.length, embed, maxTokens: model.tokenizer.maxLength };
}
