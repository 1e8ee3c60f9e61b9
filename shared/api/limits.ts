/** Size limits of the chat API (zod-free, for clients such as the browser widget). */
export const MAX_MESSAGE_CHARS = 4000;
/** The longest instructions a caller may add to the operator's system prompt (an OpenAI client's system messages). */
export const MAX_INSTRUCTIONS_CHARS = 8000;
export const MAX_BODY_BYTES = 64 * 1024;
/** The longest answer so far a region is asked to continue (`continuation.text`, mid-stream failover). */
export const MAX_CONTINUATION_CHARS = 16_000;
