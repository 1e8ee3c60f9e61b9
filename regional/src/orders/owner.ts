/**
 * Who may see an order (ORDER_VERIFY=email, docs/orders.md): whoever gives the email address the
 * order was placed with, as the store's own Order Lookup page asks. The address is compared as a
 * digest (SHA-256 of its trimmed, lower-case form, in constant time): the lookup keeps the record's
 * digest, never its address, and the shopper's address lives only in the request that carries it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The digest an address is compared by ("Jane@Example.com " and "jane@example.com" are one). */
export function emailDigest(email: string): Buffer {
  return createHash('sha256').update(email.trim().toLowerCase()).digest();
}

/** Whether `email` is the address whose digest is `owner` (no owner on record: nobody's). */
export function ownedBy(owner: Buffer | undefined, email: string): boolean {
  return owner !== undefined && timingSafeEqual(owner, emailDigest(email));
}
