/**
 * What the edge needs to follow promotions without a redeploy, mounted by app.ts (edge or admin key):
 *
 *   GET /v1/ops/active-models                              the production version of every model, with each file's sha256
 *   GET /v1/ops/models/:name/:version/files/:path{.+}     one file of a registered version (manifest.json or a file it lists)
 *
 * Only files the registry records for that version (plus its manifest.json) are served, and only
 * from inside its artifact folder: any other path is a 404, whatever `..` or encoding it uses.
 * The bytes are served as they are on disk (JSON files, the tokenizer above all, gzip-compressed
 * on the way when the client accepts it; ONNX weights barely compress and go as they are); the
 * edge checks them against the sha256 recorded at registration (sent here and in the `x-sha256`
 * header), so a file changed after registration is refused there.
 */
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { ACTIVE_MODELS_PATH, modelFilesPath, type ActiveModels } from '../../../shared/api/active-models.ts';
import { ApiError } from '../../../shared/api/errors.ts';
import { requireKey, type AuthVars } from '../http/auth.ts';
import type { Services } from '../services.ts';
import { artifactFolder } from './register-folder.ts';

export function modelFilesRoutes(s: Services) {
  const app = new Hono<AuthVars>();
  const edge = requireKey(s.store, s.rateLimiter, ['edge']);

  app.get(ACTIVE_MODELS_PATH, edge, async (c) => {
    const versions = await s.store.registry.listModelVersions({ stage: 'production' });
    const body: ActiveModels = {
      domain: s.store.registry.domain,
      models: versions.map((v) => ({
        name: v.name,
        version: v.version,
        kind: v.kind,
        files: v.files,
        sizeBytes: v.sizeBytes,
        promotedAt: v.promotedAt?.toISOString() ?? null,
        promotedBy: v.promotedBy,
        filesUrl: modelFilesPath(v.name, v.version),
      })),
    };
    return c.json(body, 200, { 'cache-control': 'no-store' });
  });

  app.get('/v1/ops/models/:name/:version/files/:path{.+}', edge, compress({ encoding: 'gzip' }), async (c) => {
    const { name, version } = c.req.param();
    const path = c.req.param('path');
    const v = await s.store.registry.getModelVersion(name, version).catch(() => null);
    if (!v) throw new ApiError('NOT_FOUND', `no registered model ${name}@${version}`);
    if (path !== 'manifest.json' && !Object.hasOwn(v.files, path)) throw new ApiError('NOT_FOUND', `${name}@${version} has no file ${path}`);
    const dir = artifactFolder(v);
    if (!dir) throw new ApiError('MODEL_UNAVAILABLE', `${name}@${version} lives at ${v.artifactUri}; fetch it from there`);
    const full = resolve(dir, path);
    if (!full.startsWith(dir + sep) || !existsSync(full)) throw new ApiError('NOT_FOUND', `${name}@${version} has no file ${path}`);
    const st = await stat(full);
    if (!st.isFile()) throw new ApiError('NOT_FOUND', `${name}@${version} has no file ${path}`);
    const sha = v.files[path];
    const headers: Record<string, string> = {
      'content-type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      'content-length': String(st.size),
      'cache-control': 'private, no-cache',
      ...(sha ? { 'x-sha256': sha, etag: `"${sha}"` } : {}),
    };
    // A compressed response's ETag is weak (W/"…"): either form names the same bytes.
    if (sha && c.req.header('if-none-match')?.replace(/^W\//, '') === `"${sha}"`) return c.body(null, 304, headers);
    return c.body(Readable.toWeb(createReadStream(full)) as ReadableStream<Uint8Array>, 200, headers);
  });

  return app;
}
