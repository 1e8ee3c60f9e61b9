/**
 * policies.md as data: one block per heading (`##` or `###`), holding its tables (header cells
 * and rows, markdown removed) and its items (bullets and paragraphs, markdown removed), with the
 * id of the knowledge-base document it belongs to (`policies#<slug of the ## heading>`). Pure:
 * the text in, blocks out. It knows markdown, not the store: no destination or method is named here.
 */
export interface PolicyTable {
  headers: string[];
  rows: string[][];
}

export interface PolicyBlock {
  /** Heading texts from the `##` down ("Shipping", "International"). */
  path: string[];
  /** The knowledge-base document the block is part of. */
  documentId: string;
  tables: PolicyTable[];
  items: string[];
}

/** Removes markdown emphasis, links, code marks and list bullets; keeps the words. */
export function plainText(md: string): string {
  return md
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[^\w*])\*([^*\n]+)\*(?!\w)/g, '$1$2')
    .replace(/__([^_]+)__/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^\s*(?:[-*+]|\d+\.)\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const slug = (h: string) =>
  h
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** A markdown table line's cells, markdown removed. */
export const cells = (line: string) =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => plainText(c));

export function parsePolicies(markdown: string): PolicyBlock[] {
  const blocks: PolicyBlock[] = [];
  let section = '';
  let path: string[] = [];
  let block: PolicyBlock | null = null;
  let table: PolicyTable | null = null;
  let para: string[] = [];
  const flush = () => {
    if (para.length && block) block.items.push(plainText(para.join(' ')));
    para = [];
  };
  for (const raw of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    const h = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      table = null;
      const level = h[1].length;
      const text = plainText(h[2]);
      if (level <= 2) {
        section = `policies#${slug(text)}`;
        path = level === 1 ? [] : [text];
      } else path = [...path.slice(0, Math.max(1, level - 2)), text].slice(0, level - 1);
      block = { path: level === 1 ? [text] : [...path], documentId: section, tables: [], items: [] };
      blocks.push(block);
      continue;
    }
    if (!block) continue;
    if (/^\s*\|/.test(line)) {
      flush();
      if (/^\s*\|?\s*:?-{2,}/.test(line)) continue; // the header separator
      if (!table) {
        table = { headers: cells(line), rows: [] };
        block.tables.push(table);
      } else table.rows.push(cells(line));
      continue;
    }
    table = null;
    if (!line.trim()) flush();
    else if (/^\s*(?:[-*+]|\d+\.)\s+/.test(line)) {
      flush();
      para = [line];
    } else para.push(line);
  }
  flush();
  return blocks.filter((b) => b.tables.length || b.items.length);
}
