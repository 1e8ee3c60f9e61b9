/**
 * The region's `GET /v1/models` in OpenAI's list shape (and `GET /v1/models/{id}`), for any key:
 * the `switchyard` router (what `/v1/chat/completions` answers as), then every model serving here
 * (embedder, reranker, classifier, generator) with a `switchyard` object: role, version, backend.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { findModel, modelEntry, modelList, ROUTER_MODEL } from '../../../../shared/api/openai/models.ts';
import type { Services } from '../../services.ts';
import type { AuthVars } from '../auth.ts';
import { openAiErrors } from './errors.ts';

export function openAiModelRoutes(s: Services, anyKey: MiddlewareHandler<AuthVars>) {
  const app = new Hono<AuthVars>();
  app.onError(openAiErrors);
  const entries = () => [
    modelEntry(ROUTER_MODEL, undefined, { role: 'router', paths: ['llm', 'cache', 'fallback'] }),
    ...s.models.map((m) =>
      modelEntry(m.info.name, undefined, {
        role: m.role,
        version: m.info.version,
        ...('backend' in m.info ? { backend: m.info.backend } : { runtime: m.info.runtime }),
        ...(m.role === 'embedder' ? { dimensions: s.embedder.dimensions } : {}),
      }),
    ),
  ];
  app.get('/v1/models', anyKey, (c) => c.json(modelList(entries())));
  app.get('/v1/models/:id{.+}', anyKey, (c) => c.json(findModel(entries(), c.req.param('id'))));
  return app;
}
