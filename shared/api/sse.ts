/**
 * Incremental parsing of the chat event stream (`text/event-stream`): used by the edge (reading
 * the region), the browser widget (reading the edge) and tests. Zod-free, so a browser bundle
 * that only needs the parser does not carry zod.
 */
import type { ChatEvent } from './chat.ts';

/**
 * The response header with which a stream announces its heartbeat period (ms): while it is open,
 * an SSE comment (`: keep-alive`) goes out at least this often, between events too. A reader that
 * sees the header may treat a silence of a few periods as a stalled (frozen) server, however slow
 * the events themselves are; a stream without it gives no such promise.
 */
export const HEARTBEAT_HEADER = 'x-switchyard-heartbeat-ms';

/** Incremental SSE parser: feed it decoded text, get complete events back. */
export class SseParser {
  private buf = '';
  push(text: string): ChatEvent[] {
    // Most streams have no CR at all: no copy of each chunk for them.
    this.buf += text.includes('\r') ? text.replace(/\r\n/g, '\n') : text;
    const out: ChatEvent[] = [];
    let idx: number;
    while ((idx = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, idx);
      this.buf = this.buf.slice(idx + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (!data.length) continue;
      try {
        out.push({ event, data: JSON.parse(data.join('\n')) } as ChatEvent);
      } catch {
        // a malformed event is skipped, not fatal
      }
    }
    return out;
  }
}
