/**
 * Screen stage (input guard): the prompt-injection screen over the message and the passages. A
 * flagged message is only marked (`injection_suspected_message`); a flagged passage is dropped
 * (`injection_passage_dropped`). Gives the text the answer must be grounded in, and the sources.
 */
import type { ChunkHit } from '../../store/types.ts';
import { screenForInjection } from '../injection-screen.ts';
import type { Run } from './run.ts';

export interface Screened {
  passages: ChunkHit[];
  grounding: string;
  sources: { id: string; title: string }[];
}

export function screenStage(message: string, top: ChunkHit[], run: Run): Screened {
  if (screenForInjection(message).flagged) run.fallback('injection_suspected_message');
  const passages = top.filter((h) => {
    const flagged = screenForInjection(h.text).flagged;
    if (flagged) run.fallback('injection_passage_dropped');
    return !flagged;
  });
  const grounding = `${message}\n${passages.map((p) => `${p.title}\n${p.text}`).join('\n')}`;
  return { passages, grounding, sources: dedupe(passages.map((p) => ({ id: p.documentId, title: p.title }))) };
}

function dedupe(list: { id: string; title: string }[]): { id: string; title: string }[] {
  const seen = new Set<string>();
  return list.filter((x) => (seen.has(x.id) ? false : (seen.add(x.id), true)));
}
