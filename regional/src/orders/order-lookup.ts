/**
 * The store's order system as the region reaches it (docs/orders.md): one order by its id. The
 * HTTP client GETs `ORDER_LOOKUP_URL` (`{id}` replaced by the id, URL-encoded, else appended as a
 * path segment) with the region's bearer key, and reads the body with the order record's schema,
 * which keeps only the status, carrier, tracking and dates (and the digest of the email the order
 * was placed with, to verify who asks: owner.ts). 200: the order; 404: no such order;
 * anything else, a body that does not parse, a network error or the timeout: throws
 * OrderLookupUnavailable, and the caller answers as it would without an order system.
 */
import { OrderBody, type OrderRecord } from '../../../shared/orders/order-record.ts';
import { emailDigest } from './owner.ts';

/** A found order: its record, and the digest of the email it was placed with (none when the order system sent none). */
export type OrderLookupResult = { found: true; order: OrderRecord; owner?: Buffer } | { found: false };

/** The record and its owner's digest from a parsed body: the address itself goes no further. */
export function foundOrder({ email, ...order }: OrderBody): OrderLookupResult {
  return { found: true, order, ...(email ? { owner: emailDigest(email) } : {}) };
}

export interface OrderLookup {
  /** What serves the lookups, for logs and docs: "http" (ORDER_LOOKUP_URL) or "demo" (the pack's demo orders). */
  readonly kind: 'http' | 'demo';
  lookup(id: string, signal?: AbortSignal): Promise<OrderLookupResult>;
}

export class OrderLookupUnavailable extends Error {
  constructor(
    message: string,
    /** `timeout` when the budget ran out; `error` otherwise. */
    readonly reason: 'timeout' | 'error',
  ) {
    super(message);
  }
}

export class HttpOrderLookup implements OrderLookup {
  readonly kind = 'http' as const;

  constructor(private readonly o: { url: string; key?: string; timeoutMs: number; fetch?: typeof fetch }) {}

  async lookup(id: string, signal?: AbortSignal): Promise<OrderLookupResult> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const url = this.o.url.includes('{id}') ? this.o.url.replaceAll('{id}', encodeURIComponent(id)) : `${this.o.url.replace(/\/+$/, '')}/${encodeURIComponent(id)}`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, {
        headers: { accept: 'application/json', ...(this.o.key ? { authorization: `Bearer ${this.o.key}` } : {}) },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      throw timeout.aborted ? new OrderLookupUnavailable(`order lookup timed out after ${this.o.timeoutMs} ms`, 'timeout') : new OrderLookupUnavailable(`order lookup failed: ${(e as Error).message}`, 'error');
    }
    try {
      if (res.status === 404) return { found: false };
      if (res.status !== 200) throw new OrderLookupUnavailable(`order system answered HTTP ${res.status}`, 'error');
      const parsed = OrderBody.safeParse(await res.json());
      if (!parsed.success) throw new OrderLookupUnavailable(`order system's body is not an order: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'error');
      return foundOrder(parsed.data);
    } catch (e) {
      if (e instanceof OrderLookupUnavailable) throw e;
      throw timeout.aborted ? new OrderLookupUnavailable(`order lookup timed out after ${this.o.timeoutMs} ms`, 'timeout') : new OrderLookupUnavailable(`order lookup failed: ${(e as Error).message}`, 'error');
    } finally {
      // An unread body holds the connection; released without waiting (some bodies never settle a cancel).
      if (!res.bodyUsed) void res.body?.cancel().catch(() => {});
    }
  }
}
