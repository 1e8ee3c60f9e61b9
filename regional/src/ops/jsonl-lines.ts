/**
 * Reads a JSONL file line by line from a byte offset, reporting each line's end offset, so a
 * batch job can checkpoint "the next row starts at byte N" and resume there in O(1). Blank lines
 * are skipped (they are not rows); a trailing `\r` is dropped; the last line may lack a newline.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface JsonlLine {
  text: string;
  /** Byte offset just past this line (and its newline): where the next line starts. */
  end: number;
}

const BLOCK = 1 << 20;
const NL = 0x0a;

export async function* readLines(path: string, start = 0, onBytes?: (bytes: Uint8Array) => void): AsyncGenerator<JsonlLine> {
  const fh = await open(path, 'r');
  try {
    let pos = start;
    let carry: Buffer = Buffer.alloc(0);
    let carryStart = start;
    const buf = Buffer.allocUnsafe(BLOCK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      const block = buf.subarray(0, bytesRead);
      onBytes?.(block);
      pos += bytesRead;
      const data = carry.length ? Buffer.concat([carry, block]) : block;
      let from = 0;
      for (let nl = data.indexOf(NL, from); nl >= 0; nl = data.indexOf(NL, from)) {
        const line = data.toString('utf8', from, nl).replace(/\r$/, '');
        const end = carryStart + nl + 1;
        from = nl + 1;
        if (line.trim()) yield { text: line, end };
      }
      carry = Buffer.from(data.subarray(from));
      carryStart += from;
    }
    if (carry.length) {
      const line = carry.toString('utf8').replace(/\r$/, '');
      if (line.trim()) yield { text: line, end: carryStart + carry.length };
    }
  } finally {
    await fh.close();
  }
}

/** Rows (non-blank lines), size and sha256 of a JSONL file, in one pass. */
export async function scanJsonl(path: string): Promise<{ rows: number; bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  for await (const _ of readLines(path, 0, (b) => {
    h.update(b);
    bytes += b.byteLength;
  }))
    rows++;
  return { rows, bytes, sha256: h.digest('hex') };
}
