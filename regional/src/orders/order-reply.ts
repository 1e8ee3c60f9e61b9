/**
 * The answer to a shopper's own order, from its record and the pack's words (orders.json), with no
 * LLM: the sentences of its status (an item with alternatives gives the first whose `{field}`s the
 * order has; a sentence naming a missing field is left out), then every note whose status fits and
 * whose cue words the question holds ("can I still cancel it?" on a Shipped order: why not, and
 * what instead). An id the order system does not know gets `notFound`; with the email check on,
 * `askEmail` (no email given), `notFoundWithEmail` (unknown id or another email) and
 * `tooManyAttempts` (a session past its attempts). Dates are written in the
 * pack's locale. Only the record's fields exist here: nothing else can be said about an order.
 */
import type { z } from 'zod';
import type { OrderAnswersJsonSchema } from '../../../shared/domain/pack-schema.ts';
import { statusKey, type OrderRecord } from '../../../shared/orders/order-record.ts';

type OrderAnswers = z.infer<typeof OrderAnswersJsonSchema>;

export class OrderReplies {
  private readonly date: Intl.DateTimeFormat;

  constructor(
    /** Intents whose route class is `order`. */
    readonly intents: ReadonlySet<string>,
    private readonly words: OrderAnswers,
    locale: string,
  ) {
    this.date = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
  }

  /** The id as the order system and the answer spell it (the entity's value is lower case). */
  spell(id: string): string {
    return this.words.idCase === 'upper' ? id.toUpperCase() : this.words.idCase === 'lower' ? id.toLowerCase() : id;
  }

  found(order: OrderRecord, question: string): string {
    const status = statusKey(order.status);
    const values = this.values(order);
    const sentences = (this.words.statuses[status] ?? this.words.otherStatus).map((s) => [s].flat().map((t) => fill(t, values)).find((t) => t !== null) ?? null);
    const asked = ` ${question.toLowerCase().replace(/[’‘]/g, "'").replace(/[^\p{L}\p{N}']+/gu, ' ')} `;
    const notes = this.words.notes.filter((n) => (!n.statuses || n.statuses.includes(status)) && n.when.some((w) => asked.includes(` ${w.toLowerCase()} `)));
    return [...sentences.filter((s): s is string => s !== null), ...new Set(notes.map((n) => fill(n.text, values)).filter((s): s is string => s !== null))].join(' ');
  }

  notFound(id: string): string {
    return this.withId(this.words.notFound, id);
  }

  /** Whether the pack words the email check (ORDER_VERIFY=email): its ask, its one answer for an unknown id or another email, and its refusal after too many. */
  verifiesEmail(): boolean {
    return !!this.words.askEmail && !!this.words.notFoundWithEmail && !!this.words.tooManyAttempts;
  }

  /** Asks for the email order `id` was placed with (no lookup made: nothing about the order). */
  askEmail(id: string): string {
    return this.withId(this.words.askEmail!, id);
  }

  /** An unknown id, or an email that is not the order's: one answer for both. */
  notFoundWithEmail(id: string): string {
    return this.withId(this.words.notFoundWithEmail!, id);
  }

  /** A session that gave too many emails for order `id` that were not its: refused, with no lookup. */
  tooManyAttempts(id: string): string {
    return this.withId(this.words.tooManyAttempts!, id);
  }

  private withId(text: string, id: string): string {
    return fill(text, { id: this.spell(id) }) ?? text;
  }

  private values(o: OrderRecord): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(o)) if (typeof v === 'string' && v) out[k] = /At$|Delivery$/.test(k) ? this.day(v) : v;
    out.id = this.spell(o.id);
    return out;
  }

  private day(iso: string): string {
    const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
    return Number.isNaN(d.getTime()) ? iso : this.date.format(d);
  }
}

/** The text with every `{field}` filled, or null when the order lacks one of them. */
function fill(text: string, values: Record<string, string>): string | null {
  let missing = false;
  const out = text.replace(/\{(\w+)\}/g, (_, f: string) => values[f] ?? ((missing = true), ''));
  return missing ? null : out;
}
