/**
 * The edge's `GET /v1/models` in OpenAI's list shape (and `GET /v1/models/{id}`): the `switchyard`
 * router that chat clients name, then the classifier and embedder serving here, each entry with a
 * `switchyard` object (role, version, source, sha256, files). The list also keeps the edge's own
 * fields beside `data`: `models` (the same two, as before) and `refresh` (the model refresher's
 * state), or `unavailable` when the models did not load.
 */
import { Hono } from 'hono';
import { findModel, modelEntry, modelList, ROUTER_MODEL, type ModelEntry } from '../../../shared/api/openai/models.ts';
import { edgeDeps } from '../edge-deps.ts';
import type { EdgeEnv } from '../env.ts';
import { refreshStatus } from '../runtime/model-refresh.ts';
import { openAiErrorResponse } from './errors.ts';

export const openAiModelRoutes = new Hono<{ Bindings: EdgeEnv }>();
openAiModelRoutes.onError(openAiErrorResponse);

async function edgeModels(env: EdgeEnv) {
  const d = await edgeDeps(env);
  const router = modelEntry(ROUTER_MODEL, undefined, { role: 'router', paths: ['template', 'cache', 'llm', 'fallback'] });
  if (!d.models.ok) return { data: [router], extra: { models: [], unavailable: { code: d.models.code, reason: d.models.reason } } };
  const m = d.models.models;
  const describe = (role: string, man: typeof m.manifests.classifier, source: string) => ({
    role,
    name: man.name,
    version: man.version,
    source,
    sha256: man.files['onnx/model_quantized.onnx'],
    files: man.files,
    sizeBytes: man.sizeBytes,
  });
  const models = [describe('intent-classifier', m.manifests.classifier, m.sources.classifier), describe('sentence-embedder', m.manifests.embedder, m.sources.embedder)];
  const created = [m.manifests.classifier.createdAt, m.manifests.embedder.createdAt];
  const data: ModelEntry[] = [router, ...models.map((x, i) => modelEntry(`${x.name}@${x.version}`, created[i], x))];
  return { data, extra: { models } };
}

openAiModelRoutes.get('/v1/models', async (c) => {
  const { data, extra } = await edgeModels(c.env);
  return c.json(modelList(data, { ...extra, refresh: refreshStatus(c.env) }));
});

openAiModelRoutes.get('/v1/models/:id{.+}', async (c) => c.json(findModel((await edgeModels(c.env)).data, c.req.param('id'))));
