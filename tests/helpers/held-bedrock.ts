/**
 * Bedrock's ConverseStream as a real HTTP server (for a region in another process, which msw cannot
 * reach): every call streams its first sentences at once, then holds the stream open until
 * `release()`, so a test can fail something while an answer is mid-stream.
 */
import { createServer, type ServerResponse } from 'node:http';
import { event } from './bedrock-wire.ts';

export const FIRST_WORDS = 'Thanks for asking about that. Here is one suggestion for you. ';
const REST = 'It is a well loved series. Enjoy your reading.';

export interface HeldBedrock {
  url: string;
  calls: number;
  /** Ends every held stream (and streams later calls straight through). */
  release(): void;
  /** Holds the streams of later calls again. */
  hold(): void;
  close(): Promise<void>;
}

export async function startHeldBedrock(): Promise<HeldBedrock> {
  const held = new Set<ServerResponse>();
  const state = { calls: 0, holding: true };
  const finish = (res: ServerResponse) => {
    held.delete(res);
    if (res.destroyed) return;
    res.write(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: REST } }));
    res.write(event('contentBlockStop', { contentBlockIndex: 0 }));
    res.write(event('messageStop', { stopReason: 'end_turn' }));
    res.end(event('metadata', { usage: { inputTokens: 40, outputTokens: 24, totalTokens: 64 }, metrics: { latencyMs: 10 } }));
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.calls++;
      res.on('error', () => {});
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `held-${state.calls}` });
      res.write(event('messageStart', { role: 'assistant' }));
      res.write(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: FIRST_WORDS } }));
      if (state.holding) held.add(res);
      else finish(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get calls() {
      return state.calls;
    },
    release() {
      state.holding = false;
      for (const res of [...held]) finish(res);
    },
    hold() {
      state.holding = true;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
