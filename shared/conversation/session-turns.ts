/**
 * A session's recent turns as every tier keeps them: the user's words and their resolution
 * (PII-redacted, truncated), the intent, entities and path, and a short digest of the answer. The
 * bounds (last 8 turns, a byte cap) and the redaction are applied here, so every store keeps the
 * same thing. Also turns a stateless client's `history` into the same context. Refuses nothing;
 * it trims.
 */
import type { HistoryTurn } from '../api/chat.ts';
import { redactPii } from '../privacy/pii.ts';
import type { DialogueEntities, DialogueEntity } from './dialogue-entities.ts';
import { resolveFollowUp, type ContextTurn } from './follow-up.ts';
import { ANSWER_DIGEST_CHARS, MAX_SESSION_BYTES, MAX_SESSION_TURNS, MAX_TURN_TEXT } from './session-limits.ts';

export interface SessionTurn {
  id: string;
  /** When the turn was asked (ms since the epoch). */
  at: number;
  /** The user's message, redacted and cut to MAX_TURN_TEXT characters. */
  text: string;
  /** The standalone message it resolved to (redacted, cut). */
  resolved: string;
  intent?: string;
  entities: DialogueEntity[];
  /** template | cache | llm | fallback, or "pending" until the answer is known. */
  path: string;
  /** The start of the answer (redacted), "" until it is complete. */
  answer: string;
  /** Where it was answered: the edge (default) or the visitor's device. */
  origin?: 'edge' | 'device';
}

export { ANSWER_DIGEST_CHARS, DEFAULT_SESSION_TTL_MS, MAX_SESSION_BYTES, MAX_SESSION_TURNS, MAX_TURN_TEXT } from './session-limits.ts';

/** A turn as it may be stored: redacted, cut, entity values bounded. */
export function storableTurn(t: SessionTurn): SessionTurn {
  return {
    ...t,
    text: cut(redactPii(t.text), MAX_TURN_TEXT),
    resolved: cut(redactPii(t.resolved), MAX_TURN_TEXT),
    entities: t.entities.slice(0, 16).map((e) => ({ kind: e.kind, value: e.value.slice(0, 128) })),
    answer: answerDigest(t.answer),
  };
}

/** The first ANSWER_DIGEST_CHARS characters of an answer, whitespace collapsed, PII redacted. */
export function answerDigest(answer: string): string {
  return cut(redactPii(answer.replace(/\s+/g, ' ').trim()), ANSWER_DIGEST_CHARS);
}

/** The newest turns within MAX_SESSION_TURNS and MAX_SESSION_BYTES (of JSON), oldest first. */
export function boundTurns(turns: SessionTurn[], maxBytes = MAX_SESSION_BYTES): SessionTurn[] {
  const kept = turns.slice(-MAX_SESSION_TURNS);
  const size = (t: SessionTurn) => utf8Bytes(JSON.stringify(t)) + 1;
  let total = kept.reduce((s, t) => s + size(t), 2);
  while (kept.length && total > maxBytes) total -= size(kept.shift()!);
  return kept;
}

/** The UTF-8 length of a string, counted, not encoded (every session write measures every kept turn). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) (n += 4), i++;
    else n += 3; // the rest of the BMP, and a lone surrogate (encoded as U+FFFD, 3 bytes)
  }
  return n;
}

/** What the follow-up resolver needs of stored turns. */
export function contextOf(turns: readonly SessionTurn[]): ContextTurn[] {
  return turns.map((t) => ({ text: t.resolved, entities: t.entities, ...(t.intent ? { intent: t.intent } : {}) }));
}

/** A stateless client's history as context: its user messages resolved one after another. */
export function contextFromHistory(history: readonly HistoryTurn[], ex: DialogueEntities): ContextTurn[] {
  const out: ContextTurn[] = [];
  for (const h of history) {
    if (h.role !== 'user') continue;
    const r = resolveFollowUp(h.content, out.slice(-MAX_SESSION_TURNS), ex);
    out.push({ text: r.text, entities: r.entities });
  }
  return out.slice(-MAX_SESSION_TURNS);
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
