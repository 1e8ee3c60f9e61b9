/**
 * The stand-in order system for `npm start`, the evaluations and a pack's demo: the pack's demo
 * orders (demo/orders.json, made-up data that says so), looked up by id case-insensitively, behind
 * the same interface and record schema as the real order system's HTTP client (each order's
 * made-up email kept as its digest only, as the client keeps it). Used only when
 * ORDER_LOOKUP_URL is not set; the region logs which one serves.
 */
import type { OrderBody } from '../../../shared/orders/order-record.ts';
import { foundOrder, type OrderLookup, type OrderLookupResult } from './order-lookup.ts';

export class DemoOrderLookup implements OrderLookup {
  readonly kind = 'demo' as const;
  private readonly byId: Map<string, OrderLookupResult>;

  constructor(orders: readonly OrderBody[]) {
    this.byId = new Map(orders.map((o) => [o.id.toLowerCase(), foundOrder(o)]));
  }

  async lookup(id: string): Promise<OrderLookupResult> {
    return this.byId.get(id.toLowerCase()) ?? { found: false };
  }
}
