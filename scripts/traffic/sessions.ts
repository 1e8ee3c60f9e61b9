/**
 * Builds the replayed sessions: 1–6 turns each, seeded and deterministic. A session either replays
 * one of the domain's dialogues (follow-ups that lean on the session) or strings together single
 * questions from the intent test split, drawn along a Zipf law so popular questions come back, and
 * repeats are often reworded on the surface. Greetings, closings and out-of-scope turns come in
 * the shares of the domain's traffic mix (eval/traffic-mix.json). A question of the mix's
 * `idReplies.intent` that names no id (kitsune-books: "has my order shipped?") is followed, in
 * `idReplies.share` of cases, by the shopper's reply giving one ("it's KB-20417", "#20417"), as a
 * shopper asked for an order number answers; those replies are extra turns drawn from their own
 * seeded stream, so every other turn is the same with replies on or off. A turn of that intent that
 * names an id (in the question, or the id reply) is followed, in `emailReplies.share` of cases, by
 * the shopper giving the email the order was placed with (the region asks for it, ORDER_VERIFY=email):
 * `emailFormat` with the id's digits, the address the order stand-in keeps for that id, or in
 * `wrongShare` of them another address; also extra turns, from a third stream. Refuses a mix or data set
 * that cannot produce a session (no questions, turn weights that are not six positive numbers).
 */
import { z } from 'zod';
import { rng, shuffled, weighted, zipf } from './random.ts';

export const TrafficMix = z.object({
  /** Zipf exponent of question popularity (rank r drawn ∝ 1/r^s). */
  zipfExponent: z.number().positive().max(3),
  /** Weights of sessions with 1..6 turns. */
  turnWeights: z.array(z.number().nonnegative()).length(6).refine((w) => w.some((x) => x > 0), 'at least one weight must be positive'),
  /** Share of sessions that replay a dialogue (follow-ups) instead of independent questions. */
  dialogueShare: z.number().min(0).max(1),
  /** Share of sessions opening with small talk; of sessions ending with it (thanks, bye). */
  openingGreetingShare: z.number().min(0).max(1),
  closingShare: z.number().min(0).max(1),
  /** Share of question turns that are out of scope. */
  outOfScopeShare: z.number().min(0).max(1),
  /** Share of repeated questions sent reworded rather than verbatim. */
  rewordShare: z.number().min(0).max(1),
  /** Labels of the test split that are small talk (greetings, thanks); "oos" is the framework's out-of-scope label. */
  smallTalkLabels: z.array(z.string().min(1)).min(1),
  /** The reply giving an id after a question that names none (the assistant asks for it). */
  idReplies: z
    .strictObject({
      /** The intent whose questions without an id get a reply. */
      intent: z.string().min(1),
      /** Share of those questions followed by the reply (the rest: the shopper leaves or asks on). */
      share: z.number().min(0).max(1),
      /** What an id looks like in a question (one that matches names its id already). */
      idPattern: z.string().min(1),
      /** The reply's wordings: `{id}` the id as written ("KB-20417"), `{digits}` its number alone. */
      forms: z.array(z.string().min(1)).min(1),
      /** How an id is written from its 5 digits. */
      idFormat: z.string().includes('{digits}'),
    })
    .optional(),
  /** The reply giving the email an order was placed with, after a question or reply that names its id (the region asks for it). */
  emailReplies: z
    .strictObject({
      /** Share of those turns followed by the reply (the rest: the shopper leaves or asks on). */
      share: z.number().min(0).max(1),
      /** Share of replies giving an address the order was not placed with (another of the shopper's, a typo). */
      wrongShare: z.number().min(0).max(1),
      /** The reply's wordings: `{email}` the address. */
      forms: z.array(z.string().includes('{email}')).min(1),
      /** The address an order was placed with, from its id's 5 digits (the order stand-in's records keep the same). */
      emailFormat: z.string().includes('{digits}'),
    })
    .optional(),
});
export type TrafficMix = z.infer<typeof TrafficMix>;

export interface Labelled {
  text: string;
  label: string;
}
export interface Dialogue {
  id: string;
  turns: { message: string }[];
}
export type TurnKind = 'question' | 'dialogue' | 'small_talk' | 'oos' | 'id_reply' | 'email_reply';
export const TURN_KINDS: TurnKind[] = ['question', 'dialogue', 'small_talk', 'oos', 'id_reply', 'email_reply'];
export interface Turn {
  message: string;
  kind: TurnKind;
  /** What was drawn (question text or dialogue id), to count repeats. */
  key: string;
  reworded: boolean;
}
export interface Session {
  id: string;
  turns: Turn[];
}

const OUT_OF_SCOPE = 'oos';

/** Surface rewordings a repeated question gets (case, punctuation, a lead-in or a tail). */
const REWORDINGS: ((s: string) => string)[] = [
  (s) => s.charAt(0).toUpperCase() + s.slice(1),
  (s) => (/[?.!]$/.test(s) ? s.slice(0, -1) : `${s}?`),
  (s) => `hi, ${s}`,
  (s) => `quick question: ${s}`,
  (s) => `${s.replace(/[?.!]$/, '')} please`,
  (s) => `${s.toLowerCase()} thanks`,
];

export function buildSessions(data: { test: Labelled[]; dialogues: Dialogue[] }, mix: TrafficMix, count: number, seed: number): Session[] {
  const random = rng(seed);
  // Its own stream: with replies on or off, every other turn is drawn the same.
  const replyRandom = rng(seed ^ 0x1d4e91);
  const ids = mix.idReplies;
  const idIn = ids && new RegExp(ids.idPattern, 'i');
  const labelOf = new Map(data.test.map((t) => [t.text, t.label]));
  const reply = (q: Turn): Turn | null => {
    if (!ids || !idIn || q.kind !== 'question' || labelOf.get(q.key) !== ids.intent || idIn.test(q.message) || replyRandom() >= ids.share) return null;
    const digits = String(10000 + Math.floor(replyRandom() * 90000));
    const form = ids.forms[Math.floor(replyRandom() * ids.forms.length)];
    const message = form.replaceAll('{id}', ids.idFormat.replaceAll('{digits}', digits)).replaceAll('{digits}', digits);
    return { message, kind: 'id_reply', key: message, reworded: false };
  };
  // A third stream: with email replies on or off, every other turn is drawn the same.
  const emailRandom = rng(seed ^ 0x3e7a11);
  const emails = mix.emailReplies;
  const emailReply = (t: Turn): Turn | null => {
    const named = t.kind === 'id_reply' || (t.kind === 'question' && !!ids && labelOf.get(t.key) === ids.intent && !!idIn?.test(t.message));
    const digits = named ? /\d{5}/.exec(t.message)?.[0] : undefined;
    if (!emails || !digits || emailRandom() >= emails.share) return null;
    const wrong = emailRandom() < emails.wrongShare;
    const email = emails.emailFormat.replaceAll('{digits}', wrong ? String(10000 + Math.floor(emailRandom() * 90000)) : digits);
    const message = emails.forms[Math.floor(emailRandom() * emails.forms.length)].replaceAll('{email}', email);
    return { message, kind: 'email_reply', key: message, reworded: false };
  };
  const excluded = new Set([OUT_OF_SCOPE, ...mix.smallTalkLabels]);
  // Popularity ranks are a seeded shuffle: which question is popular changes with the seed, the law does not.
  const questions = shuffled(data.test.filter((t) => !excluded.has(t.label)), random);
  const smallTalk = data.test.filter((t) => mix.smallTalkLabels.includes(t.label));
  const outOfScope = data.test.filter((t) => t.label === OUT_OF_SCOPE);
  const dialogues = shuffled(data.dialogues.filter((d) => d.turns.length > 0), random);
  if (!questions.length) throw new Error('the test split has no in-scope questions to replay');
  const questionRank = zipf(questions.length, mix.zipfExponent, random);
  const dialogueRank = dialogues.length ? zipf(dialogues.length, mix.zipfExponent, random) : null;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const turnCount = () => weighted(mix.turnWeights.map((w, i) => [i + 1, w] as const), random);
  const seen = new Set<string>();

  const question = (): Turn => {
    if (outOfScope.length && random() < mix.outOfScopeShare) {
      const q = pick(outOfScope);
      return { message: q.text, kind: 'oos', key: q.text, reworded: false };
    }
    const q = questions[questionRank()];
    const repeat = seen.has(q.text);
    seen.add(q.text);
    const reword = repeat && random() < mix.rewordShare;
    // Only rewordings that change the text count (capitalising a capitalised question does not).
    const variants = reword ? REWORDINGS.map((f) => f(q.text)).filter((v) => v !== q.text) : [];
    const message = variants.length ? pick(variants) : q.text;
    return { message, kind: 'question', key: q.text, reworded: message !== q.text };
  };
  const talk = (): Turn => {
    const t = pick(smallTalk);
    return { message: t.text, kind: 'small_talk', key: t.text, reworded: false };
  };

  const sessions: Session[] = [];
  for (let i = 0; i < count; i++) {
    const n = turnCount();
    const turns: Turn[] = [];
    const opening = smallTalk.length > 0 && n > 1 && random() < mix.openingGreetingShare;
    const closing = smallTalk.length > 0 && n > 2 && random() < mix.closingShare;
    const body = n - (opening ? 1 : 0) - (closing ? 1 : 0);
    if (opening) turns.push(talk());
    if (dialogueRank && random() < mix.dialogueShare) {
      const d = dialogues[dialogueRank()];
      for (const t of d.turns.slice(0, body)) turns.push({ message: t.message, kind: 'dialogue', key: d.id, reworded: false });
    }
    const toAsk = (opening ? 1 : 0) + body - turns.length;
    for (let k = 0; k < toAsk; k++) {
      const q = question();
      turns.push(q);
      const r = reply(q);
      if (r) turns.push(r);
      const e = emailReply(r ?? q);
      if (e) turns.push(e);
    }
    if (closing) turns.push(talk());
    sessions.push({ id: `s${seed}-${i}`, turns });
  }
  return sessions;
}
