/**
 * OpenAI's model list shape (`GET /v1/models`, `GET /v1/models/{id}`) for both tiers. Each entry
 * may carry a `switchyard` object (role, version, where it came from); OpenAI clients ignore it.
 * The `switchyard` router entry is what a chat client names: any `model` is accepted, and the
 * answer's `model` says which path answered (see chat-response.ts ANSWER_MODEL).
 */
import { ApiError } from '../errors.ts';

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  switchyard?: Record<string, unknown>;
}

export const ROUTER_MODEL = 'switchyard';

export function modelEntry(id: string, createdAt: string | number | undefined, switchyard?: Record<string, unknown>): ModelEntry {
  const ms = typeof createdAt === 'number' ? createdAt : createdAt ? Date.parse(createdAt) : 0;
  return { id, object: 'model', created: Number.isFinite(ms) ? Math.floor(ms / 1000) : 0, owned_by: 'switchyard', ...(switchyard ? { switchyard } : {}) };
}

export function modelList(data: ModelEntry[], extra: Record<string, unknown> = {}) {
  return { object: 'list' as const, data, ...extra };
}

/** `GET /v1/models/{id}`: the entry, or a 404 (OpenAI's `model_not_found`). */
export function findModel(data: ModelEntry[], id: string): ModelEntry {
  const m = data.find((x) => x.id === id);
  if (!m) throw new ApiError('VERSION_NOT_FOUND', `The model '${id}' does not exist`, { param: 'model', openaiCode: 'model_not_found' });
  return m;
}
