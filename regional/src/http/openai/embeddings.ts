/**
 * `POST /v1/embeddings` in OpenAI's shape, for any key (usage counted as on every metered route).
 * `dimensions` is honoured by keeping the first dimensions and rescaling to unit length (quality
 * cost on STS-B in BENCHMARKS.md); more than the model has is refused. Refused with 400 naming the
 * `param`: an empty string anywhere in `input`, and token arrays (this embedder's tokenizer is not
 * OpenAI's, so token ids would mean other words). Errors use OpenAI's shape.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { readJsonBody, validate } from '../../../../shared/api/errors.ts';
import { paramError } from '../../../../shared/api/openai/errors.ts';
import { truncateDimensions } from '../../../../shared/models/truncate-dimensions.ts';
import type { Services } from '../../services.ts';
import { checkQuota, today, type AuthVars } from '../auth.ts';
import { approxTokens } from '../generate-turn.ts';
import { openAiErrors } from './errors.ts';

const MAX_INPUT_CHARS = 32_000;

const EmbeddingsRequest = z.object({
  input: z.union([z.string(), z.array(z.unknown()).min(1, 'input must not be an empty array').max(2048, 'at most 2048 inputs per request')]),
  model: z.string().optional(),
  encoding_format: z.enum(['float', 'base64']).default('float'),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
});

/** `input` as texts: each a non-empty string within the limit; token arrays refused. */
function inputTexts(input: string | unknown[]): string[] {
  const list = typeof input === 'string' ? [input] : input;
  return list.map((t, i) => {
    const param = typeof input === 'string' ? 'input' : `input[${i}]`;
    if (typeof t === 'number' || Array.isArray(t)) throw paramError('input', 'token arrays are not supported: send text (this embedder does not use OpenAI\'s tokenizer)', 'unsupported_value');
    if (typeof t !== 'string') throw paramError(param, 'each input must be a string');
    if (!t.trim()) throw paramError(param, 'input must not be an empty string');
    if (t.length > MAX_INPUT_CHARS) throw paramError(param, `input is over ${MAX_INPUT_CHARS} characters`);
    return t;
  });
}

export function openAiEmbeddingRoutes(s: Services, anyKey: MiddlewareHandler<AuthVars>) {
  const app = new Hono<AuthVars>();
  app.onError(openAiErrors);
  app.post('/v1/embeddings', anyKey, async (c) => {
    const body = validate(EmbeddingsRequest, await readJsonBody(c.req.raw, 8 * 1024 * 1024));
    const inputs = inputTexts(body.input);
    const full = s.embedder.dimensions;
    if (body.dimensions !== undefined && body.dimensions > full) throw paramError('dimensions', `dimensions must be at most ${full} for ${s.embedder.name}`);
    const tokens = inputs.reduce((n, t) => n + approxTokens(t), 0);
    await checkQuota(s.store, c.get('apiKey'), tokens);
    const vectors = (await s.embedder.embed(inputs)).map((v) => (body.dimensions !== undefined && body.dimensions < v.length ? truncateDimensions(v, body.dimensions) : v));
    await s.store.incrementUsage(c.get('apiKey').id, today(), { requests: 1, tokensIn: tokens });
    return c.json({
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      })),
      model: s.embedder.name,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });
  return app;
}
