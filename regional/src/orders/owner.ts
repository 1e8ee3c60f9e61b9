/**
 * Who may see an order (ORDER_VERIFY=email, docs/orders.md): whoever gives the email address the
 * order was placed with, as the store's own Order Lookup page asks. The address is compared as a
 * digest (SHA-256 of its trimmed, lower-case form, in constant time): the lookup keeps the record's
 * digest, never its address, and the shopper's address lives only in the request that carries it.
 * An order with no owner on record (an unknown id, a record sent without an email) is compared the
 * same way, against a digest no address has, so every answer of "not yours" takes the same steps.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The digest an address is compared by ("Jane@Example.com " and "jane@example.com" are one). */
export function emailDigest(email: string): Buffer {
  return createHash('sha256').update(email.trim().toLowerCase()).digest();
}

/** Nobody's digest (random bytes, not the digest of any address): what an order without an owner is compared with. */
const NOBODY = randomBytes(32);

/** Whether `email` is the address whose digest is `owner` (no owner on record: nobody's, after the same comparison). */
export function ownedBy(owner: Buffer | undefined, email: string): boolean {
  const same = timingSafeEqual(owner ?? NOBODY, emailDigest(email));
  return owner !== undefined && same;
}
