/**
 * A reply that gives what the assistant asked for, resolved as the question it completes
 * (conversation.json `idReplies`):
 * - an id: "it's 12345", "#12345", "KB-12345" right after a turn of an intent whose answer asks for
 *   an id (the kitsune-books order route answers "where is my order?" with a request for the order
 *   number). The reply is that earlier question with the id in it ("where is my order — KB-12345").
 *   Only when the turn just before named no id of that kind.
 * - an email (`kind: "email"`): "jane@example.com", "it's jane@example.com" right after a turn that
 *   named the id (the region asked for the email the order was placed with). The reply is that
 *   earlier question as it was, its id carried; the address is no entity and is not written into
 *   the question (the region reads it from this message alone, and nothing keeps it).
 * Either way the earlier intent is carried as a re-asked question's is ("frame"), only the turn just
 * before counts, and only a short message that names nothing else (a long one, or one about a title
 * or a place, is a new question; its own id is read as usual). Refuses nothing: no rule, no match.
 */
import { fillTemplate, normalizeForEntities } from '../cache/entities.ts';
import { emailIn, withoutEmails } from '../privacy/pii.ts';
import type { DialogueEntities, DialogueEntity, IdReplyRule, MessageAnalysis } from './dialogue-entities.ts';

/** What the resolver needs of the turn replied to. */
interface Turn {
  text: string;
  entities: DialogueEntity[];
  intent?: string;
}

export interface IdReply {
  /** The id the reply gave, as an entity (canonical value, as entities.json patterns make it); none for an email reply (its id is the earlier turn's). */
  id?: DialogueEntity;
  /** The earlier question with the id written in. */
  text: string;
  /** The earlier turn's entities to carry, and the id. */
  entities: DialogueEntity[];
  intent: string;
}

const DEFAULT_MAX_WORDS = 6;

/** Whether a message could be a reply that gives an id or an email (then the session is worth reading). */
export function mayGiveId(message: string, a: MessageAnalysis, ex: Pick<DialogueEntities, 'idReplies'>): boolean {
  return ex.idReplies.some((r) => a.words.length <= (r.maxWords ?? DEFAULT_MAX_WORDS) && (r.kind === 'email' ? emailIn(message) !== null : a.entities.some((e) => e.kind === r.kind) || idIn(message, r.match, r.value) !== null));
}

/** The id (or email) reply `message` is to the last of `turns`, if it is one. */
export function idReply(message: string, a: MessageAnalysis, turns: readonly Turn[], ex: Pick<DialogueEntities, 'idReplies' | 'isId'>, notCarried: ReadonlySet<string>): IdReply | null {
  const last = turns.at(-1);
  if (!last?.intent) return null;
  const carried = () => last.entities.filter((e) => !notCarried.has(e.kind));
  for (const r of ex.idReplies) {
    if (!r.after.includes(last.intent) || a.words.length > (r.maxWords ?? DEFAULT_MAX_WORDS)) continue;
    if (r.kind === 'email') {
      // The message's words never include the address (dialogue-entities.ts reads around it), so
      // "my email is jane@example.com" is 3 words and names nothing.
      if (a.entities.length || !last.entities.some((e) => e.kind === r.of) || emailIn(message) === null) continue;
      return { text: last.text.trim().replace(/[?.!\s]+$/, ''), entities: carried(), intent: last.intent };
    }
    const value = givenId(message, a, last, r);
    if (!value) continue;
    const id: DialogueEntity = { kind: r.kind, value };
    const written = ex.isId(id) ? value.toUpperCase() : value;
    return { id, text: `${last.text.trim().replace(/[?.!\s]+$/, '')} — ${written}`, entities: [...carried(), id], intent: last.intent };
  }
  return null;
}

/** The id `message` gives by rule `r` after `last`, if it gives one and names nothing else. */
function givenId(message: string, a: MessageAnalysis, last: Turn, r: Extract<IdReplyRule, { match: string }>): string | null {
  if (last.entities.some((e) => e.kind === r.kind)) return null;
  const value = a.entities.find((e) => e.kind === r.kind)?.value ?? idIn(message, r.match, r.value);
  if (!value) return null;
  const digits = value.replace(/\D+/g, '');
  // The id's digits were also read as a number; that number is the id.
  const own = a.entities.filter((e) => e.kind !== r.kind && !(e.kind === 'number' && e.value === digits.replace(/^0+(?=\d)/, '')));
  // A message naming anything else ("how much is One Piece 12345?") is a question of its own.
  return own.length ? null : value;
}

function idIn(message: string, match: string, value: string): string | null {
  // An email address holds no id ("12345@example.com").
  const m = new RegExp(match, 'i').exec(withoutEmails(message.slice(0, 500)));
  return m ? normalizeForEntities(fillTemplate(value, m)) : null;
}
