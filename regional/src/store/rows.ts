/** Row helpers shared by both Store implementations. */
import type { TurnInput } from './types.ts';

export function newKeyId(): string {
  return `key_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

export function turnColumns(t: TurnInput) {
  return {
    role: t.role,
    text: t.text,
    intent: t.intent ?? null,
    confidence: t.confidence ?? null,
    routePath: t.routePath ?? null,
    modelVersions: t.modelVersions ?? null,
    latencyMs: t.latencyMs ?? null,
    tokensIn: t.tokensIn ?? null,
    tokensOut: t.tokensOut ?? null,
    costUsd: t.costUsd ?? null,
    fallbacks: t.fallbacks ?? null,
    traceId: t.traceId ?? null,
  };
}
