/**
 * The bounds of a session's turns (session-turns.ts), apart so a client that only counts and cuts
 * turns (the widget's page-load code, browser/src/chat/local-conversation.ts) imports no resolver.
 */
export const MAX_SESSION_TURNS = 8;
export const MAX_SESSION_BYTES = 16 * 1024;
export const MAX_TURN_TEXT = 500;
export const ANSWER_DIGEST_CHARS = 200;
/** Idle time after which a session is forgotten, unless SESSION_TTL_MS says otherwise. */
export const DEFAULT_SESSION_TTL_MS = 30 * 60 * 1000;
