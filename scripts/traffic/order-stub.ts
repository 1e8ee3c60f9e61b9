/**
 * A stand-in for a store's order system at the HTTP boundary, for the traffic replay: GET
 * /v1/orders/{id} answers in the order record's JSON shape (shared/orders/order-record.ts; plus a
 * name and the email the order was placed with, one per id, as a real order system's record has:
 * the region must drop the name and read the email only to verify who asks), 404 for an
 * unknown id, 503 for a failure. Every id answers the same way on every run (its hash picks found
 * or not, the status and the dates); latency and failures follow the seeded distributions below.
 * Keeps a count of lookups by result. Refuses (404) any other path.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { logNormal, rng } from './random.ts';

export interface OrderStubDistributions {
  /** Time to answer (ms): log-normal, median and log-space sigma (median 40 ms, p99 ≈ 160 ms at σ 0.6). */
  latencyMs: { median: number; sigma: number };
  /** Share of ids the order system does not know (mistyped, another store's). */
  unknownShare: number;
  /** Share of lookups that fail (HTTP 503), independent of the id. */
  failureShare: number;
  /** Status of a known order, by weight. */
  statuses: [string, number][];
}

export const DEFAULT_ORDER_STUB: OrderStubDistributions = {
  latencyMs: { median: 40, sigma: 0.6 },
  unknownShare: 0.1,
  failureShare: 0.005,
  statuses: [
    ['Shipped', 0.45],
    ['Delivered', 0.2],
    ['Processing', 0.12],
    ['Received', 0.08],
    ['Packed', 0.08],
    ['On hold', 0.04],
    ['Cancelled', 0.03],
  ],
};

/** The email an order was placed with when the mix gives no format: one per id, made up (example.com). */
export const DEFAULT_EMAIL_FORMAT = 'shopper.{digits}@example.com';

export interface OrderStub {
  url: string;
  counts: { found: number; notFound: number; failed: number };
  close(): Promise<void>;
}

/** `emailFormat`: the email each order was placed with, from its id's digits (`{digits}`); the replayed shoppers give the same (traffic-mix.json emailReplies). */
export async function startOrderStub(o: { seed: number; port?: number; dist?: OrderStubDistributions; emailFormat?: string }): Promise<OrderStub> {
  const dist = o.dist ?? DEFAULT_ORDER_STUB;
  const random = rng(o.seed ^ 0x0badf00d);
  const counts = { found: 0, notFound: 0, failed: 0 };
  const server = createServer((req, res) => {
    const m = /^\/v1\/orders\/([^/?]+)$/.exec(req.url ?? '');
    const wait = Math.max(1, logNormal(dist.latencyMs.median, dist.latencyMs.sigma, random));
    const fail = random() < dist.failureShare;
    setTimeout(() => {
      if (!m || req.method !== 'GET') return send(res, 404, { error: 'no such route' });
      if (fail) return (counts.failed++, send(res, 503, { error: 'order system unavailable' }));
      const order = orderFor(decodeURIComponent(m[1]), dist, o.emailFormat);
      if (!order) return (counts.notFound++, send(res, 404, { error: 'order not found' }));
      counts.found++;
      send(res, 200, order);
    }, wait);
  });
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, counts, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

function send(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The order an id names, the same on every run; null for an unknown id. */
export function orderFor(id: string, dist: OrderStubDistributions = DEFAULT_ORDER_STUB, emailFormat = DEFAULT_EMAIL_FORMAT): Record<string, unknown> | null {
  const h = createHash('sha256').update(id.toUpperCase()).digest();
  if (h[0] / 256 < dist.unknownShare) return null;
  const total = dist.statuses.reduce((a, [, w]) => a + w, 0);
  let u = (h[1] / 256) * total;
  const status = dist.statuses.find(([, w]) => (u -= w) < 0)?.[0] ?? dist.statuses[0][0];
  const day = (n: number) => new Date(Date.UTC(2026, 10, 20) + n * 86_400_000).toISOString().slice(0, 10);
  const placed = h[2] % 14;
  const shipped = ['Shipped', 'Delivered'].includes(status);
  const carrier = ['UPS Ground', 'USPS Ground Advantage', 'DHL eCommerce'][h[3] % 3];
  return {
    id: id.toUpperCase(),
    status,
    placedAt: day(placed),
    ...(shipped ? { shippedAt: day(placed + 1), carrier, trackingNumber: `1Z${h.subarray(4, 12).toString('hex').toUpperCase()}` } : {}),
    ...(status === 'Shipped' ? { estimatedDelivery: day(placed + 6) } : {}),
    ...(status === 'Delivered' ? { deliveredAt: day(placed + 5) } : {}),
    ...(status === 'Packed' ? { carrier } : {}),
    // What a real order system's record also holds; the region must never repeat it (the email it reads only to verify who asks).
    customerName: 'Stub Shopper',
    email: emailFormat.replaceAll('{digits}', id.replace(/\D+/g, '')),
  };
}
