/**
 * One order as the store's order system reports it (docs/orders.md, "The order system's answer"):
 * the only fields Switchyard keeps are its id, status, carrier and tracking, and dates. Whatever
 * else the order system sends (the shopper's name, email, address, items, amounts) is dropped when
 * the body is parsed, so it never reaches an answer, a log line, a session turn or a cache; the
 * email the order was placed with is read beside it (OrderBody) only to verify who asks. Refuses a
 * body without an id and a status. Also the shape of a pack's demo order set (demo/orders.json).
 */
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);
/** A date (YYYY-MM-DD) or a date-time (ISO 8601); null or absent: not known yet. */
const when = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be YYYY-MM-DD or an ISO 8601 date-time')
  .nullish()
  .transform((v) => v ?? undefined);
const optional = (max: number) => text(max).nullish().transform((v) => v ?? undefined);

export const OrderRecord = z.object({
  id: text(64),
  /** The order system's word for it ("Shipped", "on_hold"…); matched to the pack's statuses case- and separator-insensitively. */
  status: text(64),
  placedAt: when,
  shippedAt: when,
  estimatedDelivery: when,
  deliveredAt: when,
  carrier: optional(64),
  trackingNumber: optional(64),
  trackingUrl: z.string().url().max(512).nullish().transform((v) => v ?? undefined),
});
export type OrderRecord = z.infer<typeof OrderRecord>;

/** The fields an answer may name: the record's, nothing else (order-answers' `{field}`s are checked against it). */
export const ORDER_FIELDS = Object.keys(OrderRecord.shape) as (keyof OrderRecord)[];

/**
 * The order system's body as the region reads it: the record, and the email address the order was
 * placed with, read only to check that whoever asks gave the same one (ORDER_VERIFY=email:
 * regional/src/orders/owner.ts keeps its digest, never the address). Not a field an answer can name.
 */
export const OrderBody = OrderRecord.extend({
  email: z.string().trim().max(320).nullish().transform((v) => v || undefined),
});
export type OrderBody = z.infer<typeof OrderBody>;

/** Addresses reserved for examples (RFC 2606): the only ones a demo order may carry. */
const EXAMPLE_EMAIL = /@example\.(com|org|net)$/i;

/** A pack's demo order set (demo/orders.json): served by the region's stand-in when no order system is configured. */
export const DemoOrdersSchema = z.strictObject({
  about: z.string().min(1),
  orders: z.array(OrderBody.refine((o) => !o.email || EXAMPLE_EMAIL.test(o.email), { message: 'a demo order\'s email must be made up, at example.com, example.org or example.net', path: ['email'] })).min(1),
});

/** The status key a record's status reads as ("On hold" → "on_hold"). */
export const statusKey = (status: string): string =>
  status
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
