/**
 * Counts what a Chromium page really transfers, as the browser counts it: the Chrome DevTools
 * Protocol's `Network.loadingFinished` encodedDataLength (bytes on the wire: headers plus the
 * compressed body; a response served from the HTTP cache counts its few header bytes at most),
 * per URL. Used by the widget's tests and bench (Node side, playwright-core); it observes and
 * never changes a request.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

export interface Transfer {
  url: string;
  method: string;
  /** Bytes on the wire (encodedDataLength). */
  encoded: number;
  /** The response's Content-Encoding, if any (br, gzip). */
  encoding?: string;
  status?: number;
  fromCache: boolean;
}

export class TransferMeter {
  readonly done: Transfer[] = [];
  /** Every request as it starts (a streamed response finishes later). */
  readonly started: { url: string; method: string }[] = [];
  private readonly open = new Map<string, { url: string; method: string; encoding?: string; status?: number; fromCache: boolean }>();

  private constructor(readonly cdp: CDPSession) {}

  /** A new page in `ctx` whose network is metered from its first request. */
  static async page(ctx: BrowserContext): Promise<{ page: Page; meter: TransferMeter }> {
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    const meter = new TransferMeter(cdp);
    cdp.on('Network.requestWillBeSent', (e) => {
      meter.started.push({ url: e.request.url, method: e.request.method });
      meter.open.set(e.requestId, { url: e.request.url, method: e.request.method, fromCache: false });
    });
    cdp.on('Network.requestServedFromCache', (e) => {
      const r = meter.open.get(e.requestId);
      if (r) r.fromCache = true;
    });
    cdp.on('Network.responseReceived', (e) => {
      const r = meter.open.get(e.requestId);
      if (!r) return;
      r.status = e.response.status;
      r.fromCache ||= e.response.fromDiskCache === true || e.response.fromServiceWorker === true;
      const h = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'content-encoding');
      if (h) r.encoding = String(h[1]);
    });
    cdp.on('Network.loadingFinished', (e) => {
      const r = meter.open.get(e.requestId);
      if (!r) return;
      meter.open.delete(e.requestId);
      meter.done.push({ ...r, encoded: e.encodedDataLength });
    });
    await cdp.send('Network.enable');
    return { page, meter };
  }

  /** Finished transfers whose URL matches. */
  matching(test: (url: URL) => boolean): Transfer[] {
    return this.done.filter((t) => test(new URL(t.url)));
  }

  /** Encoded bytes of the finished transfers whose URL matches. */
  bytes(test: (url: URL) => boolean = () => true): number {
    return this.matching(test).reduce((n, t) => n + t.encoded, 0);
  }
}

/** The widget's on-device files: models, onnxruntime's runtime, the device code chunk. */
export function isDeviceFile(u: URL): boolean {
  return /\/widget\/(files|models)\//.test(u.pathname) || /\.(wasm|onnx|mjs)$/.test(u.pathname) || /\/device-context-[^/]*\.js$/.test(u.pathname);
}
