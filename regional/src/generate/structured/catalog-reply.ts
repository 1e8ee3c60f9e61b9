/**
 * A data-backed answer for an intent whose route class is `catalog` (domain.json): when the
 * message names exactly one catalog item, that item's row says it (price and availability, or the
 * fields the message asks for, by the pack's cue words), with no retrieval and no generation.
 * Refuses (null) a message that names no item, several items equally well ("how much is One
 * Piece?" with many volumes), or asks about more than the row holds ("… and do you ship to
 * Canada?"): those go on to retrieval and the LLM. The row is the region's catalog, so the answer
 * is as fresh as the catalog; the edge keeps it for the intent's `cacheTtlSeconds` at most.
 */
import type { StoreAnswerData } from './answer-data.ts';
import { askedFields, catalogAnswer } from './catalog-answer.ts';
import { MIN_TITLE_SCORE, UNAMBIGUOUS_MARGIN, type StoreAnswers } from './store-answers.ts';

export interface CatalogReply {
  text: string;
  source: { id: string; title: string };
}

export class CatalogReplies {
  private readonly data: StoreAnswerData;

  constructor(
    /** Intents whose route class is `catalog`. */
    readonly intents: ReadonlySet<string>,
    private readonly answers: StoreAnswers,
  ) {
    this.data = answers.data;
  }

  /** The row's answer when `intent` is a catalog intent and `question` names exactly one item (or each of a list: compare()); else null. */
  answer(intent: string | undefined, question: string): CatalogReply | null {
    if (!intent || !this.intents.has(intent)) return null;
    const several = this.compare(question);
    if (several) return several;
    const [best, next] = this.data.index.match(question, 2);
    if (!best || best.score < MIN_TITLE_SCORE) return null;
    if (next && best.score - next.score < UNAMBIGUOUS_MARGIN) return null;
    const unexplained = this.answers.unexplainedWords(question, best.item);
    if (unexplained.length >= 2) return null;
    const sentences = catalogAnswer(best.item, question, askedFields(question, this.data.config.fieldCues), this.data.config.catalogSentences, this.data.catalogText, unexplained);
    return sentences.length ? { text: sentences.join(' '), source: { id: best.item.id, title: best.item.title } } : null;
  }

  /**
   * "the shining, mexican gothic or the blade itself — which is cheapest?": a question that lists
   * titles (StoreAnswers.listedItems) gets each item's row, in the order asked, so the shopper can
   * compare, and what they come to when it asks (StoreAnswers.totalIfAsked). Null unless two or more distinct items are named.
   */
  private compare(question: string): CatalogReply | null {
    const items = this.answers.listedItems(question);
    if (items.length < 2) return null;
    const fields = askedFields(question, this.data.config.fieldCues);
    const text = items.map((item) => catalogAnswer(item, question, fields, this.data.config.catalogSentences, this.data.catalogText).join(' ')).filter(Boolean);
    if (text.length !== items.length) return null;
    // "how much for both — blue lock 1 and 2 in stock": what they come to, when asked
    const total = this.answers.totalIfAsked(question, items);
    return { text: [...text, ...(total ? [total] : [])].join(' '), source: { id: items[0].id, title: items.map((i) => i.title).join('; ') } };
  }
}
