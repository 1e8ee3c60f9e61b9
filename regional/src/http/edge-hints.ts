/**
 * The hints the edge adds to a generate request (`priority`, `intent`, `confidence`,
 * `cacheable`, and `continuation` when it fails over mid-answer) steer the LLM queue, the model
 * tier, the edge's cache, an order lookup and the generator's prefill. Only the edge's own key
 * may send them: from any other key they are dropped (the request is answered as if they were
 * absent), so a partner cannot jump the queue or pick a larger model.
 */
import type { GenerateRequest } from '../../../shared/api/chat.ts';
import type { ApiKeyRole } from '../store/types.ts';

export const EDGE_HINTS = ['priority', 'intent', 'confidence', 'cacheable', 'continuation'] as const;

export function fromEdgeOnly(body: GenerateRequest, role: ApiKeyRole): GenerateRequest {
  if (role === 'edge') return body;
  const out = { ...body };
  for (const k of EDGE_HINTS) delete out[k];
  return out;
}
