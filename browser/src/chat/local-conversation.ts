/**
 * The widget's side of a conversation, kept in localStorage so it survives a page reload: the
 * `sessionId` the edge knows the conversation by, and the recent turns (resolved text, entities,
 * intent) the on-device follow-up resolver leans on. Forgotten after the same idle time as the
 * edge's session (30 min), when a new conversation starts. Turns are kept as the edge keeps them:
 * the last 8, text cut to 500 characters, emails, phone and card numbers redacted. Without
 * localStorage (private modes, blocked storage) it lives in memory for the page only.
 */
import type { DialogueEntity } from '../../../shared/conversation/dialogue-entities.ts';
import type { ContextTurn } from '../../../shared/conversation/follow-up.ts';
import { DEFAULT_SESSION_TTL_MS, MAX_SESSION_TURNS, MAX_TURN_TEXT } from '../../../shared/conversation/session-limits.ts';
import { redactPii } from '../../../shared/privacy/pii.ts';

const KEY = 'switchyard-conversation';

interface Saved {
  sessionId: string;
  lastActive: number;
  turns: ContextTurn[];
}

export class LocalConversation {
  private constructor(private state: Saved) {}

  static load(now = Date.now(), ttlMs = DEFAULT_SESSION_TTL_MS): LocalConversation {
    try {
      const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Saved | null;
      if (saved && typeof saved.sessionId === 'string' && Array.isArray(saved.turns) && now - saved.lastActive <= ttlMs) return new LocalConversation(saved);
    } catch {
      // unreadable or unavailable storage: a new conversation
    }
    const c = new LocalConversation({ sessionId: newId(), lastActive: now, turns: [] });
    c.save();
    return c;
  }

  get sessionId(): string {
    return this.state.sessionId;
  }

  /** The turns so far, oldest first, as the resolver reads them. */
  get context(): ContextTurn[] {
    return this.state.turns;
  }

  add(turn: { text: string; entities: DialogueEntity[]; intent?: string }, now = Date.now()): void {
    this.state.turns = [...this.state.turns, { text: redactPii(turn.text).slice(0, MAX_TURN_TEXT), entities: turn.entities.slice(0, 16), ...(turn.intent ? { intent: turn.intent } : {}) }].slice(-MAX_SESSION_TURNS);
    this.state.lastActive = now;
    this.save();
  }

  private save(): void {
    try {
      localStorage.setItem(KEY, JSON.stringify(this.state));
    } catch {
      // storage full or blocked: the conversation lasts as long as the page
    }
  }
}

function newId(): string {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
