/**
 * Line numbers for error messages about JSON files: the line where the value at a path (as zod
 * reports it, e.g. ["intents", "oos", "route"]) starts, and the line of a JSON.parse error. Best
 * effort: a path that does not exist gives the line of its deepest existing parent. Refuses
 * nothing; it only reads text that JSON.parse has accepted.
 */

/** 1-based line of character offset `offset`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The line of a JSON.parse error message ("... at position 42" or "(line 3 column 5)"), when it says. */
export function lineOfParseError(text: string, message: string): number | undefined {
  const lc = /line (\d+) column \d+/.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /at position (\d+)/.exec(message);
  if (pos) return lineAt(text, Number(pos[1]));
  // V8's "Unexpected token 'x', ..."<10 characters either side>"... is not valid JSON".
  const ctx = /Unexpected token '(.)', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(message);
  if (!ctx) return undefined;
  const [, token, cut, snippet] = ctx;
  const at = text.indexOf(snippet.replace(/\.\.\.$/, ''));
  if (at < 0) return undefined;
  return lineAt(text, at + (cut ? 10 : Math.max(0, snippet.indexOf(token))));
}

/** Line where the value at `path` starts in valid JSON `text` (1 for the root). */
export function lineOfPath(text: string, path: readonly PropertyKey[]): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const readString = (): string => {
    const start = i;
    skipString();
    return JSON.parse(text.slice(start, i)) as string;
  };
  /** Skips the value at i; when `want` is a key or index inside it, stops at that child instead and returns true. */
  const enter = (want: PropertyKey): boolean => {
    ws();
    const open = text[i];
    if (open !== '{' && open !== '[') return false;
    i++;
    for (let index = 0; ; index++) {
      ws();
      if (text[i] === '}' || text[i] === ']') return false;
      let match = false;
      if (open === '{') {
        match = readString() === String(want);
        ws();
        i++; // ':'
      } else match = index === Number(want);
      ws();
      if (match) return true;
      skipValue();
      ws();
      if (text[i] === ',') i++;
    }
  };
  const skipValue = () => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < text.length) {
        const ch = text[i];
        if (ch === '"') {
          skipString();
          continue;
        }
        if (ch === '{' || ch === '[') depth++;
        if (ch === '}' || ch === ']') depth--;
        i++;
        if (depth === 0) return;
      }
      return;
    }
    while (i < text.length && !/[,\]}\s]/.test(text[i])) i++;
  };
  let found = 0;
  for (const key of path) {
    const save = i;
    if (!enter(key)) {
      i = save;
      break;
    }
    found = i;
  }
  ws();
  return lineAt(text, found || i);
}
