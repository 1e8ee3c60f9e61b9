/**
 * The seam of a continued answer: a generator resumed with the text so far as its prefill should
 * write only what comes next, but one told to "continue exactly" often repeats the last words (or
 * the whole answer). SeamFilter holds the continuation's start back just until it can tell, then
 * passes on only the new text: the longest overlap between the end of the text so far and the
 * start of the continuation (at least MIN_SEAM_OVERLAP characters, or all of the text so far) is
 * removed, and so is leading whitespace when the text so far already ends with some.
 *
 * It waits while the continuation could still be a repeat (it occurs inside the text so far), so
 * a true continuation is held only for its first few characters. It refuses to guess at a
 * rephrased repeat: only exact overlap is removed.
 */

/** Shorter overlaps are coincidence ("a", "the"), not a repeat. */
export const MIN_SEAM_OVERLAP = 4;

/** How many characters at the start of `continuation` repeat the end of `before`. */
export function seamOverlap(before: string, continuation: string): number {
  const max = Math.min(before.length, continuation.length);
  for (let k = max; k >= 1; k--) {
    if (k < MIN_SEAM_OVERLAP && k < before.length) break;
    if (before.endsWith(continuation.slice(0, k))) return k;
  }
  return 0;
}

/** The part of `continuation` that is new after `before`. */
export function newTextAfter(before: string, continuation: string): string {
  let rest = continuation.slice(seamOverlap(before, continuation));
  if (/\s$/.test(before)) rest = rest.replace(/^\s+/, '');
  return rest;
}

export class SeamFilter {
  private held = '';
  private open: boolean;

  /** `before`: the text the client already has. With none there is no seam and text passes at once. */
  constructor(private readonly before: string) {
    this.open = before === '';
  }

  /** The new text that may be passed on now ('' while the start is still held back). */
  push(text: string): string {
    if (this.open) return text;
    this.held += text;
    const trimmed = /\s$/.test(this.before) ? this.held.replace(/^\s+/, '') : this.held;
    // Still possibly a repeat of the text so far (or only whitespace yet): wait for more.
    if (trimmed === '' || this.before.includes(trimmed)) return '';
    return this.release();
  }

  /** The end of the continuation: whatever is still held, without its overlap. */
  end(): string {
    return this.open ? '' : this.release();
  }

  private release(): string {
    this.open = true;
    const out = newTextAfter(this.before, this.held);
    this.held = '';
    return out;
  }
}
