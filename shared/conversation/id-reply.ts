/**
 * A reply that gives the id the assistant asked for: "it's 12345", "#12345", "KB-12345" right
 * after a turn of an intent whose answer asks for an id (conversation.json `idReplies`: the
 * kitsune-books order route answers "where is my order?" with a request for the order number). The
 * reply is resolved as that earlier question with the id in it ("where is my order — KB-12345"),
 * its intent carried as a re-asked question's is ("frame"), so the order is looked up. Only the
 * turn just before counts, only when it named no id of that kind, and only for a short message
 * that names nothing else (a long one, or one about a title or a place, is a new question; its own
 * id is read as usual). Refuses nothing: no rule, no match.
 */
import { fillTemplate, normalizeForEntities } from '../cache/entities.ts';
import type { DialogueEntities, DialogueEntity, MessageAnalysis } from './dialogue-entities.ts';

/** What the resolver needs of the turn replied to. */
interface Turn {
  text: string;
  entities: DialogueEntity[];
  intent?: string;
}

export interface IdReply {
  /** The id as an entity (canonical value, as entities.json patterns make it). */
  id: DialogueEntity;
  /** The earlier question with the id written in. */
  text: string;
  /** The earlier turn's entities to carry, and the id. */
  entities: DialogueEntity[];
  intent: string;
}

const DEFAULT_MAX_WORDS = 6;

/** Whether a message could be a reply that gives an id (then the session is worth reading). */
export function mayGiveId(message: string, a: MessageAnalysis, ex: Pick<DialogueEntities, 'idReplies'>): boolean {
  return ex.idReplies.some((r) => a.words.length <= (r.maxWords ?? DEFAULT_MAX_WORDS) && (a.entities.some((e) => e.kind === r.kind) || idIn(message, r.match, r.value) !== null));
}

/** The id reply `message` is to the last of `turns`, if it is one. */
export function idReply(message: string, a: MessageAnalysis, turns: readonly Turn[], ex: Pick<DialogueEntities, 'idReplies' | 'isId'>, notCarried: ReadonlySet<string>): IdReply | null {
  const last = turns.at(-1);
  if (!last?.intent) return null;
  for (const r of ex.idReplies) {
    if (!r.after.includes(last.intent) || last.entities.some((e) => e.kind === r.kind)) continue;
    if (a.words.length > (r.maxWords ?? DEFAULT_MAX_WORDS)) continue;
    const value = a.entities.find((e) => e.kind === r.kind)?.value ?? idIn(message, r.match, r.value);
    if (!value) continue;
    const id: DialogueEntity = { kind: r.kind, value };
    const digits = value.replace(/\D+/g, '');
    // The id's digits were also read as a number; that number is the id.
    const own = a.entities.filter((e) => e.kind !== r.kind && !(e.kind === 'number' && e.value === digits.replace(/^0+(?=\d)/, '')));
    // A message naming anything else ("how much is One Piece 12345?") is a question of its own.
    if (own.length) continue;
    const carried = last.entities.filter((e) => !notCarried.has(e.kind));
    const written = ex.isId(id) ? value.toUpperCase() : value;
    return { id, text: `${last.text.trim().replace(/[?.!\s]+$/, '')} — ${written}`, entities: [...carried, id], intent: last.intent };
  }
  return null;
}

function idIn(message: string, match: string, value: string): string | null {
  const m = new RegExp(match, 'i').exec(message.slice(0, 500));
  return m ? normalizeForEntities(fillTemplate(value, m)) : null;
}
