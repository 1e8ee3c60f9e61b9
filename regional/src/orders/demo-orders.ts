/**
 * The stand-in order system for `npm start`, the evaluations and a pack's demo: the pack's demo
 * orders (demo/orders.json, made-up data that says so), looked up by id case-insensitively, behind
 * the same interface and record schema as the real order system's HTTP client. Used only when
 * ORDER_LOOKUP_URL is not set; the region logs which one serves.
 */
import type { OrderRecord } from '../../../shared/orders/order-record.ts';
import type { OrderLookup, OrderLookupResult } from './order-lookup.ts';

export class DemoOrderLookup implements OrderLookup {
  readonly kind = 'demo' as const;
  private readonly byId: Map<string, OrderRecord>;

  constructor(orders: readonly OrderRecord[]) {
    this.byId = new Map(orders.map((o) => [o.id.toLowerCase(), o]));
  }

  async lookup(id: string): Promise<OrderLookupResult> {
    const order = this.byId.get(id.toLowerCase());
    return order ? { found: true, order } : { found: false };
  }
}
