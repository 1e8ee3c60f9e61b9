/**
 * A TCP-level switch in front of a real service, for network-condition tests: `pass` forwards
 * bytes, `hang` accepts the connection and never answers, `refuse` closes it at once. It counts
 * connections and records request heads, so a test can tell whether a call went upstream.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type SwitchMode = 'pass' | 'hang' | 'refuse';

export interface SwitchProxy {
  url: string;
  mode: SwitchMode;
  readonly connections: number;
  heads: string[];
  close(): Promise<void>;
}

export async function startSwitchProxy(target: string): Promise<SwitchProxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  const state = { mode: 'pass' as SwitchMode, connections: 0, heads: [] as string[] };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    state.connections++;
    if (state.mode === 'refuse') return client.destroy();
    let head = '';
    client.on('data', (d) => {
      if (head.length < 4096) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0 && head.length - d.length < end + 4) state.heads.push(head.slice(0, end));
      }
    });
    if (state.mode === 'hang') return;
    const upstream = connect(Number(t.port), t.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    get mode() {
      return state.mode;
    },
    /** Switching drops open connections too, so pooled keep-alive sockets obey the new mode. */
    set mode(m: SwitchMode) {
      state.mode = m;
      for (const s of sockets) s.destroy();
    },
    get connections() {
      return state.connections;
    },
    heads: state.heads,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
